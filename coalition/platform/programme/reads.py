"""What the API reads about the coalition-wide programme: members' activity
over the tier window, charities and what they have received."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from coalition.platform.programme import repository
from coalition.platform.programme.repository import Activity as Activity
from coalition.platform.programme.repository import CharityRecord as CharityRecord
from coalition.platform.programme.rules import TierPolicy
from coalition.platform.runtime.database import Executor


async def activities_in_tier_window(
    connection: Executor, member_ids: list[uuid.UUID], policy: TierPolicy, today: date
) -> dict[uuid.UUID, Activity]:
    """Members' points and spend over the tier window ending ``today`` (the coalition's local date)."""
    return await repository.activities(connection, member_ids, today - timedelta(days=policy.window_days))


async def charity_totals(connection: Executor, account_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Points each charity account has received, donations and matching together."""
    return await repository.charity_totals(connection, account_ids)


async def charities(connection: Executor, coalition_id: uuid.UUID, *, active_only: bool) -> list[CharityRecord]:
    return await repository.charity_list(connection, coalition_id, active_only)
