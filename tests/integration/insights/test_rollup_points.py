"""The rollup's points side and the till's purchases: earned, redeemed and
reversed at the tills, rolled up by the worker's job, read through kpis."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from coalition.worker import insights_rollup
from tests.support.graphql import GraphQL
from tests.support.town import Town

KPIS = """query($p: ID, $d: Date!) { kpis(partnerId: $p, from: $d, to: $d) { period {
  purchases revenue { amount } pointsIssued pointsRedeemed redemptionRate outstandingPoints
  outstandingLiability { amount } } } }"""


async def test_points_issued_redeemed_and_outstanding_per_shop_and_coalition(town: Town, gql: GraphQL) -> None:
    import asyncio

    bakery, bakery_key = await town.partner("Bakery")
    butcher, butcher_key = await town.partner("Butcher")
    _, card = await town.member(bakery)
    await town.earn(bakery, card, "10.00")
    reversed_earn = await town.earn(bakery, card, "5.00")
    await town.reverse(bakery, reversed_earn.transaction_id)
    await town.redeem(butcher, card, 4)
    context = {"engine": town.engine, "stopping": asyncio.Event()}
    await insights_rollup(context)
    again = await insights_rollup(context)
    assert again["purchase_days"] == 0

    today = datetime.now(ZoneInfo("Europe/Amsterdam")).date().isoformat()
    figures = {}
    for name, token, partner in (("bakery", bakery_key, bakery), ("butcher", butcher_key, butcher),
                                 ("coalition", town.operator_token, None)):  # fmt: skip
        answer = await gql(token, KPIS, p=partner and str(partner), d=today)
        figures[name] = answer["data"]["kpis"]["period"]
    # Two till purchases at the bakery (the reversed one is still a receipt); none at the butcher.
    assert (figures["bakery"]["purchases"], figures["bakery"]["revenue"]["amount"]) == (2, "15.00")
    assert (figures["bakery"]["pointsIssued"], figures["bakery"]["pointsRedeemed"]) == (10, 0)
    assert figures["bakery"]["outstandingPoints"] == 6
    assert figures["bakery"]["outstandingLiability"]["amount"] == "0.06"
    assert (figures["butcher"]["pointsIssued"], figures["butcher"]["pointsRedeemed"]) == (0, 4)
    assert figures["butcher"]["outstandingPoints"] == 0
    assert (figures["coalition"]["pointsIssued"], figures["coalition"]["pointsRedeemed"]) == (10, 4)
    assert figures["coalition"]["redemptionRate"] == 0.4
    assert figures["coalition"]["outstandingPoints"] == 6
