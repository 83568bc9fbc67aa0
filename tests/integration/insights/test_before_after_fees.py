"""The programme's cost in beforeAfter: the points redeemed at the shop plus the
settlement fees it paid on the settled days of the counted after-windows, from
real till postings, a real settlement run and the worker's rollup."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import text

from coalition.settlement import service as settlement
from coalition.worker import insights_rollup
from tests.support.graphql import GraphQL
from tests.support.settlement import run_figures
from tests.support.town import Town

QUERY = """query($p: ID!, $d: Date!) { beforeAfter(partnerId: $p, asOf: $d, windowDays: 1) { members
  extraSpend { amount } redeemedPoints redeemedValue { amount } fees { amount } cost { amount } roi } }"""


async def test_the_cost_adds_the_fees_of_settled_days_to_the_points_redeemed(town: Town, gql: GraphQL) -> None:
    today = datetime.now(ZoneInfo("Europe/Amsterdam")).date()
    shop, key = await town.partner("Bakery", "10")
    async with town.sessions.begin() as session:
        await settlement.set_contract(session, town.operator, shop, fee_per_point_issued=Decimal("0.001"),
                                      fee_percent_of_redemption=Decimal(10))  # fmt: skip
        await session.execute(text("UPDATE partners SET margin = 0.30 WHERE id = :p"), {"p": shop})
    _, card = await town.member(shop)
    before = await town.earn(shop, card, "10.00")  # 100 points
    await town.earn(shop, card, "20.00")  # 200 points
    await town.redeem(shop, card, 150)
    async with town.sessions.begin() as session:
        # The first purchase was the day before joining (as imported history would have it).
        await session.execute(
            text("UPDATE purchases SET local_date = :d, occurred_at = occurred_at - interval '1 day'"
                 " WHERE transaction_id = :t"),
            {"d": today - timedelta(days=1), "t": before.transaction_id},
        )  # fmt: skip
        run = await settlement.run_day(
            session, town.coalition_id, today, now=datetime.now(ZoneInfo("UTC")) + timedelta(days=1)
        )
    await insights_rollup({"engine": town.engine, "stopping": asyncio.Event()})

    # By hand: 300 points issued at 0.001 EUR is 0.30; 10% of the 1.50 redeemed is 0.15.
    lines, _ = await run_figures(town, run)
    assert lines[shop][4] == 45
    unsettled = (await gql(key, QUERY, p=str(shop), d=today.isoformat()))["data"]["beforeAfter"]
    # The day is computed but not approved: its fees are not settled yet, so only the points count.
    assert unsettled == {
        "members": 1, "extraSpend": {"amount": "10.00"}, "redeemedPoints": 150, "redeemedValue": {"amount": "1.50"},
        "fees": {"amount": "0.00"}, "cost": {"amount": "1.50"}, "roi": 1.0,  # (3.00 - 1.50) / 1.50
    }  # fmt: skip
    async with town.sessions.begin() as session:
        await settlement.approve(session, town.operator, today)
    settled = (await gql(key, QUERY, p=str(shop), d=today.isoformat()))["data"]["beforeAfter"]
    assert settled == unsettled | {
        "fees": {"amount": "0.45"}, "cost": {"amount": "1.95"}, "roi": 0.5385,  # (3.00 - 1.95) / 1.95 = 0.53846...
    }  # fmt: skip
