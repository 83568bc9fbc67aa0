from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import select

from coalition.partners.tables import partner_programmes
from coalition.platform.database import Executor


async def insert_programme(connection: Executor, partner_id: uuid.UUID, earn_rate: Decimal, iban: str | None) -> None:
    await connection.execute(
        partner_programmes.insert().values(partner_id=partner_id, earn_rate_per_unit=earn_rate, iban=iban)
    )


async def programme(connection: Executor, partner_id: uuid.UUID) -> Decimal | None:
    return (
        await connection.execute(
            select(partner_programmes.c.earn_rate_per_unit).where(partner_programmes.c.partner_id == partner_id)
        )
    ).scalar_one_or_none()
