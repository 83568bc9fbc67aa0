"""The nightly settlement: every closed day not yet settled, in date order,
each day in its own transaction, so a run that stops half-way leaves no
partial day and the next run carries on."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from coalition.platform.coalitions import repository as coalitions
from coalition.platform.ledger.tables import transactions
from coalition.platform.runtime.database import create_sessionmaker
from coalition.settlement import service
from coalition.settlement.tables import settlement_runs


async def days_to_settle(engine: AsyncEngine, coalition_id: uuid.UUID, now: datetime | None = None) -> list[date]:
    """Closed days since the first posting without a computed run, oldest
    first: gaps before a day settled by hand are caught up too."""
    async with engine.connect() as connection:
        coalition = await coalitions.coalition_by_id(connection, coalition_id)
        assert coalition is not None
        first_posting = await connection.scalar(
            select(func.min(transactions.c.business_date)).where(transactions.c.coalition_id == coalition_id)
        )
        yesterday = service.business_today(coalition, now) - timedelta(days=1)
        if first_posting is None or first_posting > yesterday:
            return []
        settled = set(
            (
                await connection.scalars(
                    select(settlement_runs.c.business_date).where(
                        settlement_runs.c.coalition_id == coalition_id,
                        settlement_runs.c.status != service.PROVISIONAL,
                        settlement_runs.c.business_date >= first_posting,
                    )
                )
            ).all()
        )
    every_day = (first_posting + timedelta(days=n) for n in range((yesterday - first_posting).days + 1))
    return [day for day in every_day if day not in settled]


async def settle_closed_days(engine: AsyncEngine, coalition_id: uuid.UUID, now: datetime | None = None) -> list[date]:
    sessions = create_sessionmaker(engine)
    settled = []
    for day in await days_to_settle(engine, coalition_id, now):
        async with sessions.begin() as session:
            await service.run_day(session, coalition_id, day, now=now)
        settled.append(day)
    return settled
