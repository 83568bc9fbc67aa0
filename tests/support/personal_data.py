"""Members with something of everything held about a person: contact details
and choices, a basket with lines and a receipt, a coupon, a notice, an e-mail
in the outbox, a labelled token, an imported receipt; and what the tests of
export and erasure compare before and after."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from coalition.partners import rewards
from coalition.partners.earning.till import BasketLine, earn_points
from coalition.platform.auth.service import Principal, issue
from coalition.platform.auth.tokens import CredentialKind
from coalition.platform.members import privacy
from coalition.platform.members import service as members
from coalition.platform.members.personal_data import CLASSIFICATION
from coalition.platform.members.reads import members_by_id
from coalition.platform.notices import repository as notices
from coalition.platform.outbox.service import enqueue
from tests.support.town import Town


@dataclass(frozen=True)
class Person:
    member_id: uuid.UUID
    card: str
    email: str
    phone: str
    token: str
    coupon_code: str
    receipt_ref: str
    sku: str

    def principal(self, coalition_id: uuid.UUID) -> Principal:
        return Principal(credential_id=None, kind=CredentialKind.MEMBER, coalition_id=coalition_id,
                         member_id=self.member_id, via="tests")  # fmt: skip


async def add_person(town: Town, shop: uuid.UUID, name: str, *, phone: str) -> Person:
    """A member holding some of every kind of personal data (the shop must
    be active; a reward of 10 points is bought for the coupon)."""
    tag = uuid.uuid4().hex[:8]
    email, receipt, sku = f"{name}.{tag}@example.test", f"R-{name}-{tag}", f"SKU-{name.upper()}-{tag}"
    async with town.sessions.begin() as session:
        member = await members.enrol(
            session, coalition_id=town.coalition_id, scope_id=shop, partner_id=shop,
            request=members.Enrolment(uuid.uuid4().hex, None, email, phone, date(1990, 5, 17)),
        )  # fmt: skip
        await privacy.update_profile(
            session, town.operator, member.id,
            privacy.ProfileChanges(language="nl", marketing_consent=True),
        )  # fmt: skip
        _, token = await issue(session, coalition_id=town.coalition_id, kind=CredentialKind.MEMBER,
                               member_id=member.id, label=f"{name}'s phone")  # fmt: skip
        await enqueue(session, coalition_id=town.coalition_id, recipient=email, subject=f"Your code, {name}",
                      body=f"Hello {name}, your code is 123456", mail_from="wallet@example.test")  # fmt: skip
        await notices.insert(session, coalition_id=town.coalition_id, member_id=member.id, kind="POINTS_EXPIRING",
                             dedupe_key=f"test:{tag}", payload={"points": 10, "name": name})  # fmt: skip
        await session.execute(
            text(
                """WITH imported AS (
                     INSERT INTO purchases (member_id, coalition_id, partner_id, source, receipt_ref, total_minor,
                                            occurred_at, local_date)
                     VALUES (:m, :c, :p, 'IMPORT', :r, 4200, now(), current_date)
                     RETURNING partner_id, receipt_ref, member_id, id
                   )
                   -- Claimed, as the receipt import claims it.
                   INSERT INTO purchase_receipts (partner_id, receipt_ref, member_id, purchase_id)
                   SELECT * FROM imported"""
            ),
            {"m": member.id, "c": town.coalition_id, "p": shop, "r": f"IMP-{name}-{tag}"},
        )
        reward = await rewards.create_reward(
            session, town.operator, shop, rewards.RewardSpec(f"Coffee {tag}", "FREE_PRODUCT", 10, None, 30)
        )
    await earn_points(
        town.ledger, town.setups, shop, idempotency_key=uuid.uuid4().hex, card_number=member.card_number,
        amount=Decimal("50.00"), receipt_ref=receipt, lines=[BasketLine(sku, "bakery", 2, Decimal("25.00"))],
        occurred_at=None,
    )  # fmt: skip
    async with town.sessions.begin() as session:
        record = (await members_by_id(session, [member.id]))[member.id]
        _, coupon = await rewards.buy_reward(session, record, reward.id, uuid.uuid4().hex)
    return Person(member.id, member.card_number, email, phone, token, coupon.code, receipt, sku)


async def members_rows(engine: AsyncEngine, member_id: uuid.UUID, email: str | None) -> dict[str, list[dict[str, Any]]]:
    """Every classified table's rows of the member, as the classification selects them."""
    found: dict[str, list[dict[str, Any]]] = {}
    async with engine.connect() as connection:
        for table in CLASSIFICATION:
            if table.whose is not None:
                rows = await connection.execute(
                    text(f"SELECT * FROM {table.name} WHERE {table.whose}"), {"member_id": member_id, "email": email}
                )
                found[table.name] = [dict(row._mapping) for row in rows]
    return found


async def column_values(engine: AsyncEngine, table: str, column: str) -> list[Any]:
    """Every value ``table.column`` holds, whoever's."""
    async with engine.connect() as connection:
        return [row[0] for row in await connection.execute(text(f"SELECT {column} FROM {table}"))]


def now() -> datetime:
    return datetime.now(UTC)
