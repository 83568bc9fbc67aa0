"""Partner use cases: joining and lifecycle, keys, and the till's earn."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from schwifty import IBAN
from schwifty.exceptions import SchwiftyException
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from coalition.partners import repository
from coalition.partners.rules import Programme, Purchase, check_earn_rate, earn
from coalition.partners.tables import partner_programmes
from coalition.platform.audit.service import record as audit
from coalition.platform.auth import service as auth
from coalition.platform.auth.service import Principal
from coalition.platform.auth.tokens import CredentialKind, PartnerRole
from coalition.platform.caching import Remembered
from coalition.platform.coalitions import repository as coalitions
from coalition.platform.coalitions.repository import PartnerRecord
from coalition.platform.coalitions.service import change_partner_status
from coalition.platform.coalitions.tables import coalitions as coalitions_table
from coalition.platform.coalitions.tables import partners
from coalition.platform.database import AsyncSession
from coalition.platform.errors import DomainError, ErrorCode, validation
from coalition.platform.ledger.repository import Posting
from coalition.platform.ledger.service import (
    EarnRequest,
    LedgerService,
    check_card_number,
    check_idempotency_key,
    check_text,
)
from coalition.platform.money import parse_purchase_amount

MAX_BASKET_LINES = 500


def check_iban(iban: str | None) -> str | None:
    if iban is None or not iban.strip():
        return None
    try:
        return str(IBAN(iban).compact)
    except SchwiftyException as exc:
        raise validation(f"IBAN is not valid: {exc}", "iban") from exc


def check_name(name: str) -> str:
    name = name.strip()
    if not 1 <= len(name) <= 120:
        raise validation("name must be 1-120 characters", "name")
    return name


def _partner_snapshot(partner: PartnerRecord) -> dict[str, Any]:
    return {"name": partner.name, "status": partner.status}


async def create_partner(
    session: AsyncSession,
    principal: Principal,
    *,
    name: str,
    earn_rate_per_unit: Decimal,
    iban: str | None,
) -> tuple[PartnerRecord, str]:
    """A partner joins as INVITED with its programme and a MANAGER key (shown once)."""
    name = check_name(name)
    rate = check_earn_rate(earn_rate_per_unit)
    compact_iban = check_iban(iban)
    partner = await coalitions.insert_partner(session, principal.coalition_id, name)
    await repository.insert_programme(session, partner.id, rate, compact_iban)
    _, api_key = await auth.issue(
        session,
        coalition_id=principal.coalition_id,
        kind=CredentialKind.PARTNER,
        partner_id=partner.id,
        role=PartnerRole.MANAGER,
        label="created with the partner",
    )
    await audit(
        session,
        coalition_id=principal.coalition_id,
        actor=principal.actor,
        action="partner.create",
        subject_id=partner.id,
        after={**_partner_snapshot(partner), "earnRatePerUnit": str(rate), "iban": compact_iban},
    )
    return partner, api_key


async def set_status(
    session: AsyncSession,
    principal: Principal,
    partner_id: uuid.UUID,
    status: str,
    reason: str | None = None,
) -> PartnerRecord:
    if reason is not None and not reason.strip():
        raise validation("a reason is required", "reason")
    check_text(reason, "reason")
    before, after = await change_partner_status(session, principal.coalition_id, partner_id, status, reason)
    if before != after:
        await audit(
            session,
            coalition_id=principal.coalition_id,
            actor=principal.actor,
            action=f"partner.{status.lower()}",
            subject_id=partner_id,
            before=_partner_snapshot(before),
            after={**_partner_snapshot(after), "reason": reason},
        )
    return after


async def issue_api_key(
    session: AsyncSession, principal: Principal, partner_id: uuid.UUID, role: PartnerRole, label: str | None
) -> tuple[uuid.UUID, str]:
    found = await coalitions.partner_for_update(session, partner_id, principal.coalition_id)
    if found is None:
        raise DomainError(ErrorCode.NOT_FOUND, "no such partner", ("partnerId",))
    check_text(label, "label")
    credential_id, key = await auth.issue(
        session,
        coalition_id=principal.coalition_id,
        kind=CredentialKind.PARTNER,
        partner_id=partner_id,
        role=role,
        label=label,
    )
    await audit(
        session,
        coalition_id=principal.coalition_id,
        actor=principal.actor,
        action="partner.api_key.issue",
        subject_id=credential_id,
        after={"partnerId": str(partner_id), "role": role.value, "label": label},
    )
    return credential_id, key


@dataclass(frozen=True)
class TillSetup:
    coalition_id: uuid.UUID
    currency: str
    programme: Programme


class TillSetups:
    """A partner's programme and currency, kept in memory so an earn needs no
    lookup; reloaded after ``ttl`` seconds."""

    def __init__(self, engine: AsyncEngine, ttl: float = 30.0) -> None:
        self._engine = engine
        self._setups: Remembered[uuid.UUID, TillSetup] = Remembered(self._load, ttl=ttl)

    async def get(self, partner_id: uuid.UUID) -> TillSetup:
        return await self._setups.get(partner_id)

    async def _load(self, partner_id: uuid.UUID) -> TillSetup:
        query = (
            select(
                partners.c.coalition_id,
                coalitions_table.c.currency,
                partner_programmes.c.earn_rate_per_unit,
            )
            .select_from(
                partners.join(coalitions_table, coalitions_table.c.id == partners.c.coalition_id).join(
                    partner_programmes, partner_programmes.c.partner_id == partners.c.id
                )
            )
            .where(partners.c.id == partner_id)
        )
        async with self._engine.connect() as connection:
            row = (await connection.execute(query)).one()
        return TillSetup(row.coalition_id, row.currency, Programme(row.earn_rate_per_unit))


@dataclass(frozen=True)
class BasketLine:
    sku: str
    category: str | None
    quantity: int
    unit_price: Decimal


async def earn_points(
    ledger: LedgerService,
    setups: TillSetups,
    partner_id: uuid.UUID,
    *,
    idempotency_key: str,
    card_number: str,
    amount: Decimal,
    receipt_ref: str | None,
    lines: list[BasketLine] | None,
    occurred_at: datetime | None,
) -> Posting:
    check_idempotency_key(idempotency_key)
    check_card_number(card_number)
    check_text(receipt_ref, "receiptRef")
    setup = await setups.get(partner_id)
    purchase_minor = parse_purchase_amount(amount, setup.currency, "amount")
    basket = _check_basket(lines, setup.currency)
    _check_occurred_at(occurred_at)
    earned = earn(Purchase(amount, setup.currency), setup.programme)
    return await ledger.earn(
        partner_id,
        EarnRequest(
            idempotency_key=idempotency_key,
            card_number=card_number,
            purchase_minor=purchase_minor,
            points=earned.points,
            explanation=earned.explanation,
            receipt_ref=receipt_ref,
            occurred_at=occurred_at,
            basket=basket,
        ),
    )


# A till's clock may run a little fast; a purchase a day ahead is a wrong clock.
MAX_CLOCK_SKEW = timedelta(minutes=15)


def _check_occurred_at(occurred_at: datetime | None) -> None:
    if occurred_at is None:
        return
    if occurred_at.tzinfo is None:
        raise validation("occurredAt must carry a time zone offset", "occurredAt")
    if occurred_at > datetime.now(UTC) + MAX_CLOCK_SKEW:
        raise validation("occurredAt is in the future; check the till's clock", "occurredAt")


def _check_basket(lines: list[BasketLine] | None, currency: str) -> list[dict[str, Any]] | None:
    if lines is None:
        return None
    if len(lines) > MAX_BASKET_LINES:
        raise validation(f"a basket has at most {MAX_BASKET_LINES} lines", "lines")
    checked = []
    for index, line in enumerate(lines):
        where = ("lines", str(index))
        if not 1 <= len(line.sku) <= 64:
            raise validation("sku must be 1-64 characters", *where, "sku")
        if line.category is not None and not 1 <= len(line.category) <= 64:
            raise validation("category must be 1-64 characters", *where, "category")
        if not 1 <= line.quantity <= 10_000:
            raise validation("quantity must be between 1 and 10000", *where, "quantity")
        price = parse_purchase_amount(line.unit_price, currency, *where, "unitPrice")
        checked.append({"sku": line.sku, "category": line.category, "quantity": line.quantity, "unitPrice": price})
    return checked
