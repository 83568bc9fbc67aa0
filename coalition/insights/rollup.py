"""The daily rollups: kept up to date by the worker (and at the end of a
receipt import), so the dashboards' queries read a few small tables.

Incremental by day: the days that purchases inserted since the last run fall
on (an import of old history included) and the ledger's recent days are
recomputed whole, oldest first, a few weeks per transaction; then the
coalition's watermark moves to a moment before which every transaction had
ended. Recomputing a day is idempotent, so a run that stops half-way, or
runs twice, or alongside another, leaves the rollups right.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine

from coalition.insights.repositories import rollups
from coalition.platform.runtime.database import create_sessionmaker

DAYS_PER_TRANSACTION = 31
# The ledger's business dates lag the clock by at most a day (a posting just
# after midnight may still be dated the day before): two days of margin.
POINTS_MARGIN_DAYS = 2


def _never() -> bool:
    return False


@dataclass
class RollupReport:
    purchase_days: dict[str, int] = field(default_factory=dict)
    points_days: dict[str, int] = field(default_factory=dict)
    stopped: bool = False

    def summary(self) -> dict[str, object]:
        return {
            "purchase_days": sum(self.purchase_days.values()),
            "points_days": sum(self.points_days.values()),
            "stopped": self.stopped,
        }


def chunks(days: list[date], size: int = DAYS_PER_TRANSACTION) -> list[list[date]]:
    ordered = sorted(days)
    return [ordered[start : start + size] for start in range(0, len(ordered), size)]


async def roll_coalition(
    engine: AsyncEngine, coalition_id: uuid.UUID, timezone: str, *, stopping: Callable[[], bool] = _never
) -> tuple[int, int, bool]:
    """Catches one coalition's rollups up: (purchase days, points days recomputed, stopped early)."""
    sessions = create_sessionmaker(engine)
    async with engine.connect() as connection:
        upto = await rollups.bound(connection)
        since = await rollups.watermark(connection, coalition_id)
        purchase_days = await rollups.purchase_days(connection, coalition_id, since)
        points_since = (
            date.min if since is None else since.astimezone(ZoneInfo(timezone)).date() - timedelta(POINTS_MARGIN_DAYS)
        )
        points_days = await rollups.points_days(connection, coalition_id, points_since)
    many = len(purchase_days) > DAYS_PER_TRANSACTION
    for days in chunks(purchase_days):
        if stopping():
            return len(purchase_days), len(points_days), True
        async with sessions.begin() as session:
            await rollups.lock(session, coalition_id)
            await rollups.roll_purchase_days(session, coalition_id, days)
        if many:
            async with sessions.begin() as session:
                await rollups.analyse(session)
    for days in chunks(points_days):
        if stopping():
            return len(purchase_days), len(points_days), True
        async with sessions.begin() as session:
            await rollups.lock(session, coalition_id)
            await rollups.roll_points_days(session, coalition_id, days)
    async with sessions.begin() as session:
        await rollups.advance(session, coalition_id, upto)
    if many:
        async with engine.connect() as connection:
            await rollups.vacuum(await connection.execution_options(isolation_level="AUTOCOMMIT"))
    return len(purchase_days), len(points_days), False


async def roll_up(
    engine: AsyncEngine, coalition_id: uuid.UUID | None = None, *, stopping: Callable[[], bool] = _never
) -> RollupReport:
    """Every coalition's rollups (or one's) caught up."""
    report = RollupReport()
    async with engine.connect() as connection:
        zones = await rollups.coalition_zones(connection)
    for known, timezone in zones:
        if coalition_id is not None and known != coalition_id:
            continue
        purchase_days, points_days, stopped = await roll_coalition(engine, known, timezone, stopping=stopping)
        if purchase_days or points_days:
            report.purchase_days[str(known)] = purchase_days
            report.points_days[str(known)] = points_days
        if stopped:
            report.stopped = True
            break
    return report
