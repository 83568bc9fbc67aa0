"""The nightly catch-up: expire lots whose time has come, settle every
closed day not yet settled (in date order, each day in its own
transaction, so a run that stops half-way leaves no partial day), write
"points expiring soon" notices and review tiers.

One query finds the coalitions that have any of this to do, and the work
goes by urgency across all of them: every expiry first, then the closed
days, then the notices, then the tier reviews. Coalitions with nothing to
do cost nothing, and a coalition's expiry never waits behind another's
settlement. Each step is idempotent, so a late, repeated or interrupted run
is harmless and the next one carries on."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from coalition.platform.coalitions import repository as coalitions
from coalition.platform.ledger.service import expire_due
from coalition.platform.notices import service as notices
from coalition.platform.programme.service import review_tiers
from coalition.platform.runtime.database import create_sessionmaker
from coalition.settlement import catch_up_repository, service
from coalition.settlement.catch_up_repository import DueWork

_log = structlog.stdlib.get_logger("coalition.nightly")


async def days_to_settle(engine: AsyncEngine, coalition_id: uuid.UUID, now: datetime | None = None) -> list[date]:
    """Closed days since the first posting without a computed run, oldest
    first: gaps before a day settled by hand are caught up too."""
    async with engine.connect() as connection:
        coalition = await coalitions.coalition_by_id(connection, coalition_id)
        assert coalition is not None
        first_posting = await catch_up_repository.first_posting_day(connection, coalition_id)
        yesterday = service.business_today(coalition, now) - timedelta(days=1)
        if first_posting is None or first_posting > yesterday:
            return []
        settled = await catch_up_repository.settled_days(connection, coalition_id, first_posting)
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


@dataclass
class CoalitionCatchUp:
    """What the catch-up did for one coalition."""

    expired_members: int = 0
    expired_points: int = 0
    settled: list[date] = field(default_factory=list)
    notices: int = 0
    tiers_changed: int = 0

    def as_log(self) -> dict[str, Any]:
        return {
            "expired_members": self.expired_members,
            "expired_points": self.expired_points,
            "settled": [day.isoformat() for day in self.settled],
            "notices": self.notices,
            "tiers_changed": self.tiers_changed,
        }


@dataclass
class CatchUp:
    """A catch-up run: its clock, what it did per coalition, and whether it
    stopped before the end because the process was told to stop."""

    at: datetime
    coalitions: dict[uuid.UUID, CoalitionCatchUp] = field(default_factory=dict)
    stopped_early: bool = False

    def of(self, coalition_id: uuid.UUID) -> CoalitionCatchUp:
        return self.coalitions.setdefault(coalition_id, CoalitionCatchUp())

    def summary(self) -> dict[str, Any]:
        done = self.coalitions.values()
        return {
            "at": self.at.isoformat(),
            "coalitions": len(self.coalitions),
            "expired_points": sum(c.expired_points for c in done),
            "settled_days": sum(len(c.settled) for c in done),
            "notices": sum(c.notices for c in done),
            "tiers_changed": sum(c.tiers_changed for c in done),
            "stopped_early": self.stopped_early,
        }


def _never() -> bool:
    return False


async def catch_up(
    engine: AsyncEngine, now: datetime | None = None, *, stopping: Callable[[], bool] = _never
) -> CatchUp:
    """The nightly job. ``now`` is its clock for business days (the ledger
    expires lots by PostgreSQL's clock); ``stopping`` is asked between steps,
    and once it answers yes the run ends there: every step done so far is
    committed, the rest waits for the next run."""
    report = CatchUp(at=now or datetime.now(UTC))
    async with engine.connect() as connection:
        due = await catch_up_repository.coalitions_with_due_work(connection, report.at, notices.EXPIRING_WITHIN_DAYS)
    sessions = create_sessionmaker(engine)

    async def expire(work: DueWork) -> None:
        result = report.of(work.coalition_id)
        result.expired_members, result.expired_points = await expire_due(engine, work.coalition_id)

    async def settle(work: DueWork) -> None:
        report.of(work.coalition_id).settled = await settle_closed_days(engine, work.coalition_id, report.at)

    async def write_notices(work: DueWork) -> None:
        async with sessions.begin() as session:
            report.of(work.coalition_id).notices = await notices.write_expiring(session, work.coalition_id)

    async def review(work: DueWork) -> None:
        today = report.at.astimezone(ZoneInfo(work.timezone)).date()
        async with sessions.begin() as session:
            report.of(work.coalition_id).tiers_changed = await review_tiers(session, work.coalition_id, today)

    steps: tuple[tuple[Callable[[DueWork], Awaitable[None]], str], ...] = (
        (expire, "lots_past_expiry"),
        (settle, "unsettled_closed_days"),
        (write_notices, "points_expiring_soon"),
        (review, "tier_policy"),
    )
    for step, needed in steps:
        for work in due:
            if not getattr(work, needed):
                continue
            if stopping():
                report.stopped_early = True
                return _logged(report)
            await step(work)
    return _logged(report)


def _logged(report: CatchUp) -> CatchUp:
    for coalition_id, done in report.coalitions.items():
        _log.info("nightly coalition", coalition=str(coalition_id), **done.as_log())
    _log.info("nightly done", **report.summary())
    return report
