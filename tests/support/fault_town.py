"""What a fault test checks after the fault: the ledger holds exactly what the tills saw acknowledged."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import text

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
        assert keyed == tills.acknowledged
        assert posted == len(tills.acknowledged)
        assert await self.town.ledger_violations() == []
