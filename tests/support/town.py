"""A fresh coalition per test, and the few postings tests make through the real services."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from coalition.partners import lifecycle
from coalition.partners.earning.till import TillSetups, earn_points
from coalition.platform.auth.service import Principal
from coalition.platform.coalitions.service import create_coalition
from coalition.platform.ledger.service import LedgerService
from coalition.platform.ledger.verify import verify
from coalition.platform.members import service as members
from coalition.platform.runtime.database import create_sessionmaker


class Town:
    """A fresh coalition per test: tests never see each other's data."""

    def __init__(self, engine: AsyncEngine, ledger: LedgerService, setups: TillSetups) -> None:
        self.engine = engine
        self.sessions = create_sessionmaker(engine)
        self.ledger = ledger
        self.setups = setups
        self.coalition_id: uuid.UUID
        self.operator_token: str
        self.currency = "EUR"

    async def create(self, *, pending_days: int = 0, expiry_months: int | None = 24) -> Town:
        async with self.sessions.begin() as session:
            record, self.operator_token = await create_coalition(
                session,
                slug=f"t-{uuid.uuid4().hex[:12]}",
                name="Test Town",
                currency=self.currency,
                point_value="0.01",
                timezone="Europe/Amsterdam",
                pending_days=pending_days,
                expiry_months=expiry_months,
            )
        self.coalition_id = record.id
        return self

    @property
    def operator(self) -> Principal:
        return Principal.local_operator(self.coalition_id, via="tests")

    async def partner(
        self, name: str = "Shop", rate: str = "1", *, active: bool = True, iban: str | None = None
    ) -> tuple[uuid.UUID, str]:
        async with self.sessions.begin() as session:
            partner, key = await lifecycle.create_partner(
                session, self.operator, name=name, earn_rate_per_unit=Decimal(rate), iban=iban
            )
            if active:
                await lifecycle.set_status(session, self.operator, partner.id, "ACTIVE")
        return partner.id, key

    async def member(self, partner_id: uuid.UUID, card: str | None = None) -> tuple[uuid.UUID, str]:
        async with self.sessions.begin() as session:
            record = await members.enrol(
                session,
                coalition_id=self.coalition_id,
                scope_id=partner_id,
                partner_id=partner_id,
                request=members.Enrolment(uuid.uuid4().hex, card, None, None, None),
            )
        return record.id, record.card_number

    async def earn(self, partner_id: uuid.UUID, card: str, amount: str, key: str | None = None) -> Any:
        return await earn_points(
            self.ledger,
            self.setups,
            partner_id,
            idempotency_key=key or uuid.uuid4().hex,
            card_number=card,
            amount=Decimal(amount),
            receipt_ref=None,
            lines=None,
            occurred_at=None,
        )

    async def redeem(self, partner_id: uuid.UUID, card: str, points: int, key: str | None = None) -> Any:
        return await self.ledger.redeem(
            partner_id, idempotency_key=key or uuid.uuid4().hex, card_number=card, points=points, receipt_ref=None
        )

    async def reverse(self, partner_id: uuid.UUID | None, transaction_id: uuid.UUID, points: int | None = None) -> Any:
        return await self.ledger.reverse(
            self.coalition_id,
            partner_id,
            idempotency_key=uuid.uuid4().hex,
            transaction_id=transaction_id,
            points=points,
            reason=None,
        )

    async def ledger_violations(self) -> list[str]:
        """What `coalition ledger verify` finds wrong with this coalition's books: nothing, when sound."""
        async with self.engine.connect() as connection:
            return await verify(connection, self.coalition_id)


async def adjust(
    town: Town, member_id: uuid.UUID, points: int, key: str | None = None, reason: str = "goodwill"
) -> Any:
    """The operator's adjustment of a member's points, committed with its audit entry."""
    from coalition.platform.members import support

    async with town.sessions.begin() as session:
        return await support.adjust(
            session, town.operator, member_id, idempotency_key=key or uuid.uuid4().hex, points=points, reason=reason
        )
