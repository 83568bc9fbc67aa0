"""Which coalitions the nightly catch-up visits, and in what order, on the
real database."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from zoneinfo import ZoneInfo

from coalition.partners.programme import save_coalition_rules
from coalition.platform.programme.rules import CoalitionRulesChanges, Tier, TierPolicy
from coalition.settlement import service as settlement
from coalition.settlement.catch_up_repository import DueWork, coalitions_with_due_work
from coalition.settlement.tasks import catch_up
from tests.support.time_passing import make_lots_expire_in
from tests.support.town import Town

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def _quarter_past_midnight_tonight() -> datetime:
    tomorrow = datetime.now(AMSTERDAM).date() + timedelta(days=1)
    return datetime.combine(tomorrow, clock_time(0, 14), AMSTERDAM)


async def _town_that_bought_today(engine, ledger, till_setups) -> tuple[Town, str]:  # type: ignore[no-untyped-def]
    town = await Town(engine, ledger, till_setups).create()
    shop, _ = await town.partner(rate="1")
    _, card = await town.member(shop)
    await town.earn(shop, card, "10")
    return town, card


async def _due(engine, at: datetime, ours: list[uuid.UUID]) -> list[DueWork]:  # type: ignore[no-untyped-def]
    async with engine.connect() as connection:
        return [work for work in await coalitions_with_due_work(connection, at, 30) if work.coalition_id in ours]


async def test_only_coalitions_with_work_are_found_and_expiries_come_first(engine, ledger, till_setups) -> None:
    tonight = _quarter_past_midnight_tonight()
    bought, _ = await _town_that_bought_today(engine, ledger, till_setups)
    idle = await Town(engine, ledger, till_setups).create()
    settled, _ = await _town_that_bought_today(engine, ledger, till_setups)
    async with settled.sessions.begin() as session:  # its day was settled by hand, just after midnight
        await settlement.run_day(session, settled.coalition_id, tonight.date() - timedelta(days=1), now=tonight)
    expiring, card = await _town_that_bought_today(engine, ledger, till_setups)  # created last
    await make_lots_expire_in(expiring, card, timedelta(seconds=-1))
    ours = [town.coalition_id for town in (bought, idle, settled, expiring)]

    found = await _due(engine, tonight, ours)
    assert [(w.coalition_id, w.lots_past_expiry, w.unsettled_closed_days) for w in found] == [
        (expiring.coalition_id, True, True),
        (bought.coalition_id, False, True),
    ]
    assert [w.coalition_id for w in await _due(engine, datetime.now(UTC), ours)] == [expiring.coalition_id]


async def test_a_coalition_with_tiers_is_reviewed_and_one_with_points_expiring_soon_is_noticed(
    engine, ledger, till_setups
) -> None:
    tiered = await Town(engine, ledger, till_setups).create()
    async with tiered.sessions.begin() as session:
        tiers = TierPolicy(tiers=(Tier("BRONZE", "Bronze", 0), Tier("SILVER", "Silver", 150)))
        await save_coalition_rules(session, tiered.operator, CoalitionRulesChanges(tiers=tiers))
    soon, card = await _town_that_bought_today(engine, ledger, till_setups)
    await make_lots_expire_in(soon, card, timedelta(days=10))

    found = {w.coalition_id: w for w in await _due(engine, datetime.now(UTC), [tiered.coalition_id, soon.coalition_id])}
    assert (found[tiered.coalition_id].tier_policy, found[tiered.coalition_id].points_expiring_soon) == (True, False)
    assert (found[soon.coalition_id].tier_policy, found[soon.coalition_id].points_expiring_soon) == (False, True)


async def test_a_catch_up_told_to_stop_ends_after_the_step_under_way(engine, ledger, till_setups) -> None:
    expiring, card = await _town_that_bought_today(engine, ledger, till_setups)
    await make_lots_expire_in(expiring, card, timedelta(seconds=-1))
    asked: list[bool] = []

    def stop_after_one_step() -> bool:
        asked.append(True)
        return len(asked) > 1

    report = await catch_up(engine, stopping=stop_after_one_step)
    assert report.stopped_early
    assert len(report.coalitions) == 1  # the first step, whichever coalition's it was, and nothing after
