"""The nightly catch-up's queries: which coalitions have work to do, and
which of a coalition's closed days are still unsettled.

Finding the due work is one statement over every coalition, each probe an
index lookup, so thousands of idle coalitions cost a few milliseconds
instead of a round of queries each before the due ones are reached."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select, text

from coalition.platform.ledger.tables import transactions
from coalition.platform.runtime.database import Executor
from coalition.settlement.tables import settlement_runs

_PROVISIONAL = "PROVISIONAL"


@dataclass(frozen=True)
class DueWork:
    """What one coalition needs from the nightly job, as of one moment."""

    coalition_id: uuid.UUID
    timezone: str
    lots_past_expiry: bool
    unsettled_closed_days: bool
    points_expiring_soon: bool
    tier_policy: bool


# Expiry and the notice window follow the ledger's clock (PostgreSQL's
# now(), as the expiry itself does); closed days follow the job's :now in
# the coalition's time zone. A closed day is unsettled when the days from
# the first posting to yesterday outnumber the final runs among them (one
# run per coalition and day). Coalitions with lots to expire come first,
# then those with days to settle: the rest is housekeeping.
_DUE_WORK = text(
    """
    SELECT c.id AS coalition_id, c.timezone,
           expiry.due AS lots_past_expiry, closed.due AS unsettled_closed_days, soon.due AS points_expiring_soon,
           coalesce(jsonb_array_length(r.document -> 'tiers' -> 'tiers'), 0) > 0 AS tier_policy
      FROM coalitions c
      LEFT JOIN coalition_rules r ON r.coalition_id = c.id
     CROSS JOIN LATERAL (
           SELECT EXISTS (SELECT 1 FROM lots l
                           WHERE l.coalition_id = c.id AND l.remaining > 0 AND l.expires_at <= now())
           ) AS expiry(due)
     CROSS JOIN LATERAL (
           SELECT EXISTS (SELECT 1 FROM lots l
                           WHERE l.coalition_id = c.id AND l.remaining > 0 AND l.expires_at > now()
                             AND l.expires_at <= now() + make_interval(days => :notice_days))
           ) AS soon(due)
     CROSS JOIN LATERAL (
           SELECT coalesce(span.first_day <= span.yesterday
                           AND span.yesterday - span.first_day + 1 > (
                               SELECT count(*) FROM settlement_runs s
                                WHERE s.coalition_id = c.id AND s.status <> 'PROVISIONAL'
                                  AND s.business_date BETWEEN span.first_day AND span.yesterday), false)
             FROM (SELECT (SELECT min(t.business_date) FROM ledger_transactions t
                            WHERE t.coalition_id = c.id) AS first_day,
                          (CAST(:now AS timestamptz) AT TIME ZONE c.timezone)::date - 1 AS yesterday) AS span
           ) AS closed(due)
     WHERE expiry.due OR closed.due OR soon.due
        OR coalesce(jsonb_array_length(r.document -> 'tiers' -> 'tiers'), 0) > 0
     ORDER BY expiry.due DESC, closed.due DESC, c.id
    """
)


async def coalitions_with_due_work(connection: Executor, now: datetime, notice_days: int) -> list[DueWork]:
    """Every coalition with something to do, those with lots past their
    expiry first, then those with closed days to settle."""
    rows = await connection.execute(_DUE_WORK, {"now": now, "notice_days": notice_days})
    return [DueWork(**row._mapping) for row in rows]


async def first_posting_day(connection: Executor, coalition_id: uuid.UUID) -> date | None:
    day: date | None = await connection.scalar(
        select(func.min(transactions.c.business_date)).where(transactions.c.coalition_id == coalition_id)
    )
    return day


async def settled_days(connection: Executor, coalition_id: uuid.UUID, since: date) -> set[date]:
    """The days from ``since`` on with a final (not provisional) run."""
    days = await connection.scalars(
        select(settlement_runs.c.business_date).where(
            settlement_runs.c.coalition_id == coalition_id,
            settlement_runs.c.status != _PROVISIONAL,
            settlement_runs.c.business_date >= since,
        )
    )
    return set(days)
