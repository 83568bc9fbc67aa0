"""Statements, the matrix and payout files through GraphQL's authorised
download links; payout accounts; a partner's exit through the API."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import httpx
from pypdf import PdfReader
from schwifty import IBAN

from coalition.settlement import service as settlement
from tests.support.graphql import EARN, REDEEM, GraphQL, key
from tests.support.scene import Scene
from tests.support.time_passing import business_date_now

STATEMENT = """query($d: Date!, $f: StatementFormat!, $p: ID) { settlementRun(businessDate: $d) {
  statement(format: $f, partnerId: $p) { url expiresAt } } }"""
MATRIX = "query($d: Date!) { settlementRun(businessDate: $d) { matrix { url } } }"
PAYOUT = """query($s: Date!, $e: Date!) { payoutPeriod(start: $s, end: $e) { approvedDays unapprovedDays
  lines { partner { name } net { amount } iban problem } sepaFile { url } } }"""
ACCOUNT = """mutation($iban: String, $p: ID) { setPayoutAccount(iban: $iban, partnerId: $p) {
  iban errors { code field } } }"""
B_IBAN = "BE68539007547034"


async def _settled(scene: Scene, gql: GraphQL) -> str:
    """A's member spends 40 of A's points at B; the day is settled and approved."""
    spent = await gql(
        scene.manager_b, REDEEM, input={"idempotencyKey": key(), "cardNumber": scene.card_a, "points": 40}
    )
    assert spent["data"]["redeemPoints"]["errors"] == []
    day = await business_date_now(scene.town)
    async with scene.town.sessions.begin() as session:  # as if computed after midnight
        await settlement.run_day(session, scene.town.coalition_id, day, now=datetime.now(UTC) + timedelta(days=1))
    approve = "mutation($d: Date!) { approveSettlement(businessDate: $d) { run { status } } }"
    assert (await gql(scene.operator, approve, d=day.isoformat()))["data"]["approveSettlement"]["run"] == {
        "status": "APPROVED"
    }
    return day.isoformat()


async def test_statement_links_are_given_to_whom_the_statement_belongs(
    scene: Scene, gql: GraphQL, client: httpx.AsyncClient
) -> None:
    day = await _settled(scene, gql)
    mine = (await gql(scene.manager_b, STATEMENT, d=day, f="CSV"))["data"]["settlementRun"]["statement"]
    fetched = await client.get(mine["url"])
    assert fetched.status_code == 200
    assert fetched.headers["content-type"].startswith("text/csv")
    assert f'filename="statement-{day}-B.csv"' in fetched.headers["content-disposition"]
    assert "A,receivable,CROSS_REDEMPTION,40,0.40" in fetched.text
    assert "net,0.40" in fetched.text

    pos_cannot_see_others = await gql(scene.pos_a, STATEMENT, d=day, f="CSV", p=str(scene.shop_b))
    assert pos_cannot_see_others["data"]["settlementRun"]["statement"] is None
    assert (await gql(scene.member_token_a, STATEMENT, d=day, f="PDF"))["data"]["settlementRun"] is None
    assert (await gql(scene.operator, STATEMENT, d=day, f="PDF"))["data"]["settlementRun"]["statement"] is None

    pdf_link = (await gql(scene.operator, STATEMENT, d=day, f="PDF", p=str(scene.shop_a)))["data"]["settlementRun"]
    pdf = await client.get(pdf_link["statement"]["url"])
    assert pdf.headers["content-type"] == "application/pdf"
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert "Settlement statement for A" in text
    assert "-0.40" in text

    assert (await gql(scene.manager_a, MATRIX, d=day))["data"]["settlementRun"]["matrix"] is None
    matrix = (await gql(scene.operator, MATRIX, d=day))["data"]["settlementRun"]["matrix"]
    assert (await client.get(matrix["url"])).text.splitlines()[1:] == ["A,B,40"]

    assert (await client.get("/downloads/made-up-token")).status_code == 404


async def test_the_operator_pays_out_a_period_as_a_sepa_file(
    scene: Scene, gql: GraphQL, client: httpx.AsyncClient
) -> None:
    day = await _settled(scene, gql)
    assert (await gql(scene.manager_a, PAYOUT, s=day, e=day))["data"]["payoutPeriod"] is None
    backwards = await gql(scene.operator, PAYOUT, s=day, e="2000-01-01")
    assert backwards["errors"][0]["extensions"]["code"] == "VALIDATION"

    period = (await gql(scene.operator, PAYOUT, s=day, e=day))["data"]["payoutPeriod"]
    assert period["approvedDays"] == [day]
    lines = {line["partner"]["name"]: line for line in period["lines"]}
    assert lines["B"] == {"partner": {"name": "B"}, "net": {"amount": "0.40"}, "iban": None,
                          "problem": "no IBAN on file"}  # fmt: skip
    assert lines["A"]["net"] == {"amount": "-0.40"}
    assert lines["A"]["problem"] is None

    bad = await gql(scene.manager_b, ACCOUNT, iban="NL00 BANK 0000 0000 00")
    assert bad["data"]["setPayoutAccount"]["errors"] == [{"code": "VALIDATION", "field": ["iban"]}]
    other = await gql(scene.manager_b, ACCOUNT, iban=B_IBAN, p=str(scene.shop_a))
    assert other["data"]["setPayoutAccount"]["errors"][0]["code"] == "NOT_FOUND"
    pos = await gql(scene.pos_a, ACCOUNT, iban=B_IBAN)
    assert pos["data"]["setPayoutAccount"]["errors"][0]["code"] == "FORBIDDEN"
    saved = await gql(scene.manager_b, ACCOUNT, iban="be68 5390 0754 7034")
    assert saved["data"]["setPayoutAccount"] == {"iban": B_IBAN, "errors": []}

    link = (await gql(scene.operator, PAYOUT, s=day, e=day))["data"]["payoutPeriod"]["sepaFile"]["url"]
    no_payer = await client.get(link)
    assert no_payer.status_code == 409
    assert "paying account" in no_payer.text
    payer = str(IBAN.generate("NL", bank_code="INGB", account_code="0001234567").compact)
    policy = """mutation($i: SettlementPolicyInput!) { setSettlementPolicy(input: $i) { errors { code field } } }"""
    set_payer = await gql(
        scene.operator, policy, i={"fundingModel": "AT_REDEMPTION", "payerName": "Town Assoc", "payerIban": payer}
    )
    assert set_payer["data"]["setSettlementPolicy"]["errors"] == []
    sepa = await client.get(link)
    assert sepa.status_code == 200
    assert sepa.headers["content-type"].startswith("application/xml")
    assert b"pain.001.001.03" in sepa.content
    assert f"<IBAN>{B_IBAN}</IBAN>".encode() in sepa.content
    assert b"<NbOfTxs>1</NbOfTxs>" in sepa.content
    assert b"<CtrlSum>0.40</CtrlSum>" in sepa.content


async def test_terminating_a_partner_stops_its_keys_and_tells_its_members(scene: Scene, gql: GraphQL) -> None:
    terminate = """mutation($id: ID!, $r: String!) { terminatePartner(id: $id, reason: $r) {
      partner { name status } settledOn exitModel membersNotified errors { code field } } }"""
    refused = await gql(scene.manager_a, terminate, id=str(scene.shop_a), r="leaving")
    assert refused["data"]["terminatePartner"]["errors"][0]["code"] == "FORBIDDEN"
    done = (await gql(scene.operator, terminate, id=str(scene.shop_a), r="shop closed"))["data"]["terminatePartner"]
    assert done == {
        "partner": {"name": "A", "status": "TERMINATED"}, "settledOn": (await business_date_now(scene.town)).isoformat(),
        "exitModel": "BUY_OUT", "membersNotified": 1, "errors": [],
    }  # fmt: skip

    till = await gql(scene.pos_a, EARN, input={"idempotencyKey": key(), "cardNumber": scene.card_a, "amount": "5"})
    assert till["_status"] == 401
    notices = "{ me { notices { kind payload } wallet { balance } } }"
    seen = (await gql(scene.member_token_a, notices))["data"]["me"]
    assert seen["notices"][0]["kind"] == "PARTNER_LEFT"
    assert seen["notices"][0]["payload"]["points"] == 100 == seen["wallet"]["balance"]
    spent = await gql(
        scene.manager_b, REDEEM, input={"idempotencyKey": key(), "cardNumber": scene.card_a, "points": 100}
    )
    assert spent["data"]["redeemPoints"]["errors"] == []  # the points stay good at the other shops

    run = """query($d: Date!) { settlementRun(businessDate: $d) { obligations { from { name } to { name } reason
      points } } }"""
    day = (await business_date_now(scene.town)).isoformat()
    await gql(scene.operator, "mutation($d: Date!) { runSettlement(businessDate: $d) { run { id } } }", d=day)
    obligations = (await gql(scene.operator, run, d=day))["data"]["settlementRun"]["obligations"]
    assert {"from": {"name": "A"}, "to": {"name": "B"}, "reason": "CROSS_REDEMPTION", "points": 100} in obligations
    assert not [o for o in obligations if o["reason"] == "EXIT"]  # nothing of A's left out there
