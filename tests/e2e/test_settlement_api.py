"""Settlement through GraphQL and the command line."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.support.graphql import REDEEM, GraphQL, key
from tests.support.scene import Scene
from tests.support.time_passing import business_date_now

RUN = """mutation($d: Date!) { runSettlement(businessDate: $d) { run { id businessDate status fundingModel
  lines { partner { name } pointsIssued pointsRedeemed receivable { amount } payable { amount } fees { amount }
          net { amount currency } }
  obligations { from { name } to { name } points amount { amount } reason } }
  errors { code message field } } }"""
VIEW = """query($d: Date!) { settlementRun(businessDate: $d) { status lines { partner { name } net { amount } }
  obligations { from { name } to { name } amount { amount } reason } } }"""


async def test_the_operator_settles_a_day_and_each_partner_sees_its_own_part(scene: Scene, gql: GraphQL) -> None:
    # A's member spends 40 of A's points at B: A owes B 0.40.
    spent = await gql(
        scene.manager_b, REDEEM, input={"idempotencyKey": key(), "cardNumber": scene.card_a, "points": 40}
    )
    assert spent["data"]["redeemPoints"]["errors"] == []
    day = (await business_date_now(scene.town)).isoformat()
    ran = (await gql(scene.operator, RUN, d=day))["data"]["runSettlement"]
    assert ran["errors"] == []
    run = ran["run"]
    assert (run["businessDate"], run["status"], run["fundingModel"]) == (day, "PROVISIONAL", "AT_REDEMPTION")
    assert run["obligations"] == [
        {"from": {"name": "A"}, "to": {"name": "B"}, "points": 40, "amount": {"amount": "0.40"},
         "reason": "CROSS_REDEMPTION"}
    ]  # fmt: skip
    nets = {line["partner"]["name"]: line["net"]["amount"] for line in run["lines"]}
    assert nets == {"A": "-0.40", "B": "0.40"}
    again = (await gql(scene.operator, RUN, d=day))["data"]["runSettlement"]["run"]
    assert again["id"] == run["id"]

    a_view = (await gql(scene.manager_a, VIEW, d=day))["data"]["settlementRun"]
    assert [line["partner"]["name"] for line in a_view["lines"]] == ["A"]
    assert len(a_view["obligations"]) == 1
    assert (await gql(scene.member_token_a, VIEW, d=day))["data"]["settlementRun"] is None
    refused = await gql(scene.manager_a, RUN, d=day)
    assert refused["data"]["runSettlement"]["errors"][0]["code"] == "FORBIDDEN"

    approve = "mutation($d: Date!) { approveSettlement(businessDate: $d) { run { status } errors { code message } } }"
    still_open = await gql(scene.operator, approve, d=day)
    assert still_open["data"]["approveSettlement"]["errors"][0]["code"] == "CONFLICT"


async def test_a_closed_day_is_approved_then_paid_and_listed(scene: Scene, gql: GraphQL) -> None:
    yesterday = ((await business_date_now(scene.town)) - timedelta(days=1)).isoformat()
    ran = (await gql(scene.operator, RUN, d=yesterday))["data"]["runSettlement"]["run"]
    assert (ran["status"], ran["lines"], ran["obligations"]) == ("COMPUTED", [], [])
    approve = "mutation($d: Date!) { approveSettlement(businessDate: $d) { run { status } errors { code } } }"
    paid = "mutation($d: Date!) { markSettlementPaid(businessDate: $d) { run { status } errors { code } } }"
    too_early = await gql(scene.operator, paid, d=yesterday)
    assert too_early["data"]["markSettlementPaid"]["errors"][0]["code"] == "CONFLICT"
    assert (await gql(scene.operator, approve, d=yesterday))["data"]["approveSettlement"]["run"]["status"] == "APPROVED"
    assert (await gql(scene.operator, paid, d=yesterday))["data"]["markSettlementPaid"]["run"]["status"] == "PAID"
    rerun = (await gql(scene.operator, RUN, d=yesterday))["data"]["runSettlement"]["run"]
    assert rerun["status"] == "PAID"
    await gql(scene.operator, RUN, d=(await business_date_now(scene.town)).isoformat())
    listed = await gql(
        scene.operator,
        "{ settlementRuns(first: 1) { edges { node { businessDate status } cursor } pageInfo { hasNextPage endCursor } } }",
    )
    page = listed["data"]["settlementRuns"]
    assert page["edges"][0]["node"]["status"] == "PROVISIONAL"
    assert page["pageInfo"]["hasNextPage"] is True
    following = await gql(
        scene.operator,
        "query($a: String) { settlementRuns(first: 5, after: $a) { edges { node { businessDate status } } } }",
        a=page["pageInfo"]["endCursor"],
    )
    assert following["data"]["settlementRuns"]["edges"] == [{"node": {"businessDate": yesterday, "status": "PAID"}}]
    future = await gql(scene.operator, RUN, d=((await business_date_now(scene.town)) + timedelta(days=1)).isoformat())
    assert future["data"]["runSettlement"]["errors"][0]["field"] == ["businessDate"]


async def test_policy_contracts_and_outstanding_points(scene: Scene, gql: GraphQL) -> None:
    policy = """mutation($i: SettlementPolicyInput!) { setSettlementPolicy(input: $i) {
      policy { fundingModel issuancePrice } errors { code field } } }"""
    bad = await gql(scene.operator, policy, i={"fundingModel": "AT_ISSUANCE", "breakagePercent": "101"})
    assert bad["data"]["setSettlementPolicy"]["errors"] == [{"code": "VALIDATION", "field": ["breakagePercent"]}]
    saved = await gql(scene.operator, policy, i={"fundingModel": "AT_ISSUANCE", "issuancePrice": "0.008"})
    assert saved["data"]["setSettlementPolicy"]["policy"] == {"fundingModel": "AT_ISSUANCE", "issuancePrice": "0.008"}
    by_manager = await gql(scene.manager_a, policy, i={"fundingModel": "AT_REDEMPTION"})
    assert by_manager["data"]["setSettlementPolicy"]["errors"][0]["code"] == "FORBIDDEN"
    contract = """mutation($i: PartnerContractInput!) { setPartnerContract(input: $i) { saved errors { code } } }"""
    done = await gql(scene.operator, contract, i={"partnerId": str(scene.shop_a), "feePerPointIssued": "0.001"})
    assert done["data"]["setPartnerContract"]["saved"] is True

    day = (await business_date_now(scene.town)).isoformat()
    run = (await gql(scene.operator, RUN, d=day))["data"]["runSettlement"]["run"]
    assert {(o["from"] and o["from"]["name"], o["reason"], o["amount"]["amount"]) for o in run["obligations"]} == {
        ("A", "ISSUANCE", "0.80"),  # 100 points x 0.008
        ("B", "ISSUANCE", "1.60"),  # 200 points
        ("A", "FEE", "0.10"),
    }
    outstanding = "query($id: ID!) { partner(id: $id) { outstandingPoints } }"
    mine: dict[str, Any] = await gql(scene.manager_a, outstanding, id=str(scene.shop_a))
    assert mine["data"]["partner"]["outstandingPoints"] == 100
    theirs = await gql(scene.manager_b, outstanding, id=str(scene.shop_a))
    assert theirs["data"]["partner"]["outstandingPoints"] is None
