"""What the API reads about settlement: runs with their lines and
obligations, partners' outstanding points, what a period pays out."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from coalition.platform.runtime.database import Executor
from coalition.settlement import repository
from coalition.settlement.payouts import payout as payout
from coalition.settlement.repository import LineRecord as LineRecord
from coalition.settlement.repository import ObligationRecord as ObligationRecord
from coalition.settlement.repository import RunRecord as RunRecord
from coalition.settlement.repository import lines_of as lines_of_runs
from coalition.settlement.repository import obligations_of as obligations_of_runs
from coalition.settlement.repository import outstanding_points as outstanding_points
from coalition.settlement.repository import run_page as runs_before
from coalition.settlement.rules import Policy as Policy

__all__ = [
    "LineRecord",
    "ObligationRecord",
    "RunRecord",
    "lines_of_runs",
    "obligations_of_runs",
    "outstanding_points",
    "payout",
    "run_on",
    "runs_before",
]


async def run_on(connection: Executor, coalition_id: uuid.UUID, business_date: date) -> RunRecord | None:
    return (await repository.runs_on(connection, coalition_id, [business_date])).get(business_date)


async def policy(connection: Executor, coalition_id: uuid.UUID, point_value: Decimal) -> Policy:
    """The funding policy and every partner's contract (the defaults where none is set)."""
    return await repository.policy(connection, coalition_id, point_value)
