"""What the API reads about settlement: runs with their lines and
obligations, partners' outstanding points, what a period pays out."""

from __future__ import annotations

import uuid
from datetime import date

from coalition.platform.runtime.database import Executor
from coalition.settlement import payouts, repository
from coalition.settlement.payouts import Payout
from coalition.settlement.repository import LineRecord as LineRecord
from coalition.settlement.repository import ObligationRecord as ObligationRecord
from coalition.settlement.repository import RunRecord as RunRecord


async def run_on(connection: Executor, coalition_id: uuid.UUID, business_date: date) -> RunRecord | None:
    return (await repository.runs_on(connection, coalition_id, [business_date])).get(business_date)


async def runs_before(
    connection: Executor, coalition_id: uuid.UUID, before: date | None, limit: int
) -> list[RunRecord]:
    """Runs newest day first, of days before ``before`` when given."""
    return await repository.run_page(connection, coalition_id, before, limit)


async def lines_of_runs(connection: Executor, run_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[LineRecord]]:
    return await repository.lines_of(connection, run_ids)


async def obligations_of_runs(
    connection: Executor, run_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[ObligationRecord]]:
    return await repository.obligations_of(connection, run_ids)


async def outstanding_points(connection: Executor, partner_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Points each partner issued that are still in members' wallets."""
    return await repository.outstanding_points(connection, partner_ids)


async def payout(connection: Executor, coalition_id: uuid.UUID, start: date, end: date) -> Payout:
    """What each partner is owed (or owes) over the approved days of a period."""
    return await payouts.payout(connection, coalition_id, start, end)
