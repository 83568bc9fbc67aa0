"""What a fault test checks after the fault: the ledger holds exactly what the tills saw acknowledged."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from coalition.partners.earning.till import TillSetups
from coalition.platform.auth.service import issue
from coalition.platform.auth.tokens import CredentialKind, PartnerRole
from coalition.platform.ledger.repository import PostingGateway
from coalition.platform.ledger.service import LedgerService
from tests.support.tills import Tills
from tests.support.town import Town


@dataclass
class FaultTown:
    town: Town
    shop: uuid.UUID
    till_key: str
    cards: list[str]

    async def assert_exactly_what_tills_saw(self, tills: Tills) -> None:
        """Every acknowledged posting is in the ledger once, under the key the
        till sent; nothing else was posted for the shop; the books verify."""
        # The test's own pool may hold connections the fault cut.
        await self.town.engine.dispose()
        async with self.town.engine.connect() as connection:
            keyed: dict[str, str] = dict(
                (
                    await connection.execute(
                        text("SELECT key, transaction_id::text FROM idempotency_keys WHERE scope_id = :shop"),
                        {"shop": self.shop},
                    )
                ).all()
            )
            posted = (
                await connection.execute(
                    text(
                        "SELECT count(*) FROM ledger_transactions"
                        " WHERE partner_id = :shop AND kind IN ('EARN', 'REDEEM')"
                    ),
                    {"shop": self.shop},
                )
            ).scalar_one()
        # The count first: a doubled or lost posting says so here, before the keys' detail.
        assert posted == len(tills.acknowledged), f"{posted} postings for {len(tills.acknowledged)} acknowledged"
        assert keyed == tills.acknowledged
        assert await self.town.ledger_violations() == []


async def fault_town_on(engine: AsyncEngine, members: int = 12) -> FaultTown:
    """A coalition with a shop of its own (the till's shop posts nothing else),
    and ``members`` members whose 500 points another shop gave."""
    town = await Town(engine, LedgerService(PostingGateway(engine)), TillSetups(engine, ttl=0.001)).create()
    giver, _ = await town.partner("Giver")
    shop, _ = await town.partner("Till shop")
    cards = []
    for _ in range(members):
        _, card = await town.member(giver)
        await town.earn(giver, card, "500")
        cards.append(card)
    async with town.sessions.begin() as session:
        _, till_key = await issue(
            session, coalition_id=town.coalition_id, kind=CredentialKind.PARTNER, partner_id=shop, role=PartnerRole.POS
        )
    return FaultTown(town, shop, till_key, cards)
