"""A campaign aimed at a segment with a holdout, through the API: its audience
drawn at the start from the purchases table, earns by treatment and holdout
members (the holdout gets no bonus), and the experiment report."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from coalition.insights import campaign_experiments
from coalition.insights.audiences import SEGMENT, audience
from coalition.insights.experiments import holdout_size
from coalition.insights.model import Purchase
from coalition.partners.earning.till import TillSetups
from coalition.platform.ledger.service import LedgerService
from tests.support.graphql import EARN, GraphQL, key
from tests.support.town import Town

CREATE = """mutation($input: CampaignInput!) { createCampaign(input: $input) {
  campaign { id audience { kind segment holdoutShare drawnAt treatmentMembers holdoutMembers } }
  errors { code message field } } }"""
REPORT = """query($id: ID!) { campaign(id: $id) { name audience { segment treatmentMembers holdoutMembers }
  experiment { final minimumMembersPerArm measuredFrom measuredTo
    treatment { members purchasers purchaseRate spend { amount } spendPerMember { amount } }
    holdout { members purchasers purchaseRate spend { amount } spendPerMember { amount } }
    purchaseRateDifference { estimate low high pValue } purchaseRateVerdict
    spendPerMemberDifference { estimate { amount } low { amount } high { amount } pValue } spendVerdict
    sampleRatio { plannedHoldoutShare observedHoldoutShare pValue mismatch } } } }"""
END = "mutation($id: ID!) { endCampaign(id: $id) { campaign { id } errors { code field } } }"
ZONE = ZoneInfo("Europe/Amsterdam")
MEMBERS = 150


@dataclass
class Shop:
    town: Town
    shop: uuid.UUID
    key: str
    members: list[tuple[uuid.UUID, str]]
    history: list[Purchase]
    start: datetime


async def _insert_purchases(engine: AsyncEngine, coalition: uuid.UUID, purchases: list[Purchase]) -> None:
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO purchases (member_id, coalition_id, partner_id, source, receipt_ref, total_minor,"
                " occurred_at, local_date) VALUES (:member, :coalition, :partner, 'IMPORT', :receipt, :total, :at,"
                " (CAST(:at AS timestamptz) AT TIME ZONE 'Europe/Amsterdam')::date)"
            ),
            [
                {
                    "member": p.member_id,
                    "coalition": coalition,
                    "partner": p.partner_id,
                    "receipt": uuid.uuid4().hex,
                    "total": p.value_minor,
                    "at": p.occurred_at,
                }
                for p in purchases
            ],
        )


@pytest.fixture(scope="module")
async def shop(engine: AsyncEngine, ledger: LedgerService, till_setups: TillSetups) -> Shop:
    """150 members whose history makes member i score R = F = the quintile of i:
    the first 60 Hibernating (R1-2 F1-2), the last 30 Champions."""
    town = await Town(engine, ledger, till_setups).create()
    shop, manager = await town.partner("Bakery")
    members = [await town.member(shop) for _ in range(MEMBERS)]
    start = datetime.now(UTC) - timedelta(hours=1)
    history = [
        Purchase(member_id, shop, start - timedelta(days=300 - 2 * i + 7 * n), 1500)
        for i, (member_id, _) in enumerate(sorted(members))
        for n in range(1 + i // 30)
    ]
    await _insert_purchases(engine, town.coalition_id, history)
    return Shop(town, shop, manager, sorted(members), history, start)


def _campaign(start: datetime, segment: str, share: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": f"Welcome back, {segment}",
        "kind": "FIXED_BONUS",
        "bonusPoints": 50,
        "minSpend": "10",
        "startsAt": start.isoformat(),
        "endsAt": (start + timedelta(days=2)).isoformat(),
        "audience": {"kind": "SEGMENT", "segment": segment, "holdoutShare": share},
    } | extra


async def _earn(gql: GraphQL, token: str, card: str) -> list[str]:
    body = await gql(token, EARN, input={"idempotencyKey": key(), "cardNumber": card, "amount": "12.00"})
    assert body["data"]["earnPoints"]["errors"] == []
    return list(body["data"]["earnPoints"]["transaction"]["explanation"])


async def test_a_segment_campaign_with_a_holdout_from_draw_to_report(shop: Shop, gql: GraphQL) -> None:
    created = await gql(shop.key, CREATE, input=_campaign(shop.start, "Hibernating", "0.5"))
    payload = created["data"]["createCampaign"]
    assert payload["errors"] == []
    campaign_id = payload["campaign"]["id"]
    drawn = payload["campaign"]["audience"]
    assert (drawn["kind"], drawn["segment"], Decimal(drawn["holdoutShare"])) == (
        "SEGMENT",
        "Hibernating",
        Decimal("0.5"),
    )
    assert (drawn["treatmentMembers"], drawn["holdoutMembers"]) == (30, 30)

    # The audience is exactly what the segment function names, as of the start.
    expected = audience(shop.history, shop.shop, shop.start.astimezone(ZONE).date(), ZONE, SEGMENT, "Hibernating")
    assert expected == [member for member, _ in shop.members[:60]]
    async with shop.town.engine.connect() as connection:
        arms = dict(
            (row.member_id, row.arm)
            for row in await connection.execute(
                text("SELECT member_id, arm FROM campaign_members WHERE campaign_id = :id"), {"id": campaign_id}
            )
        )
    assert sorted(arms) == expected
    cards = dict(shop.members)
    treated = [member for member, arm in arms.items() if arm == "TREATMENT"]
    held = [member for member, arm in arms.items() if arm == "HOLDOUT"]

    # The till: the treatment arm gets the bonus, the holdout and the rest of the shop's members do not.
    assert any("Welcome back" in line for line in await _earn(gql, shop.key, cards[treated[0]]))
    assert not any("Welcome back" in line for line in await _earn(gql, shop.key, cards[held[0]]))
    assert not any("Welcome back" in line for line in await _earn(gql, shop.key, shop.members[-1][1]))

    # Over the campaign: 25 of 30 treated members buy (more), 5 of 30 held out (the first earned above).
    during = shop.start + timedelta(minutes=30)
    await _insert_purchases(
        shop.town.engine,
        shop.town.coalition_id,
        [Purchase(member, shop.shop, during, 3000) for member in treated[1:25]]
        + [Purchase(member, shop.shop, during, 1000) for member in held[1:5]],
    )
    assert (await gql(shop.key, END, id=campaign_id))["data"]["endCampaign"]["errors"] == []

    report = (await gql(shop.key, REPORT, id=campaign_id))["data"]["campaign"]["experiment"]
    assert report["final"] is True
    assert report["minimumMembersPerArm"] == 30
    assert report["treatment"] == {
        "members": 30,
        "purchasers": 25,
        "purchaseRate": 25 / 30,
        "spend": {"amount": "732.00"},  # 24 x 30.00 + the 12.00 earn
        "spendPerMember": {"amount": "24.40"},
    }
    assert (report["holdout"]["members"], report["holdout"]["purchasers"]) == (30, 5)
    assert report["holdout"]["spend"] == {"amount": "52.00"}
    assert report["purchaseRateVerdict"] == "TREATMENT_BETTER"
    assert report["spendVerdict"] == "TREATMENT_BETTER"
    rate = report["purchaseRateDifference"]
    assert rate["estimate"] == pytest.approx(20 / 30)
    assert rate["low"] < rate["estimate"] < rate["high"]
    assert rate["pValue"] < 0.05
    spend = report["spendPerMemberDifference"]
    assert Decimal(spend["estimate"]["amount"]) == Decimal("24.40") - Decimal("1.73")
    assert report["sampleRatio"]["mismatch"] is False
    assert report["sampleRatio"]["observedHoldoutShare"] == 0.5


async def test_a_small_holdout_says_not_enough_data(shop: Shop, gql: GraphQL) -> None:
    created = await gql(shop.key, CREATE, input=_campaign(shop.start, "Champions", "0.1"))
    campaign_id = created["data"]["createCampaign"]["campaign"]["id"]
    report = (await gql(shop.key, REPORT, id=campaign_id))["data"]["campaign"]["experiment"]
    assert (report["treatment"]["members"], report["holdout"]["members"], report["final"]) == (27, 3, False)
    assert report["purchaseRateVerdict"] == report["spendVerdict"] == "NOT_ENOUGH_DATA"


async def test_a_campaign_starting_later_is_drawn_once_when_it_starts(shop: Shop, gql: GraphQL) -> None:
    later = datetime.now(UTC) + timedelta(days=1)
    created = await gql(shop.key, CREATE, input=_campaign(later, "Champions", "0.2"))
    campaign = created["data"]["createCampaign"]["campaign"]
    assert campaign["audience"]["drawnAt"] is None
    async with shop.town.engine.begin() as connection:
        assert await campaign_experiments.draw_due(connection, later) >= 1
    async with shop.town.engine.begin() as connection:
        assert not await campaign_experiments.draw(connection, uuid.UUID(campaign["id"]), later)
    query = "query($id: ID!) { campaign(id: $id) { audience { drawnAt treatmentMembers holdoutMembers } } }"
    drawn = (await gql(shop.key, query, id=campaign["id"]))["data"]["campaign"]["audience"]
    assert drawn["drawnAt"] is not None
    assert drawn["holdoutMembers"] == holdout_size(drawn["treatmentMembers"] + drawn["holdoutMembers"], Decimal("0.2"))


@pytest.mark.parametrize(
    ("audience_input", "field"),
    [
        ({"kind": "SEGMENT", "segment": "Whales", "holdoutShare": "0.1"}, ["audience", "segment"]),
        ({"kind": "SEGMENT", "holdoutShare": "0.1"}, ["audience", "segment"]),
        ({"kind": "LAPSED", "holdoutShare": "0.9"}, ["audience", "holdoutShare"]),
        ({"kind": "LAPSED", "holdoutShare": "0"}, ["audience", "holdoutShare"]),
    ],
)
async def test_a_bad_audience_is_refused_and_nothing_is_created(
    shop: Shop, gql: GraphQL, audience_input: dict[str, Any], field: list[str]
) -> None:
    before = await gql(shop.key, "{ campaigns(includeEnded: true) { id } }")
    refused = await gql(shop.key, CREATE, input=_campaign(shop.start, "x", "0.1", audience=audience_input))
    payload = refused["data"]["createCampaign"]
    assert payload["campaign"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("VALIDATION", field)]
    assert await gql(shop.key, "{ campaigns(includeEnded: true) { id } }") == before


async def test_only_the_shop_running_it_and_the_operator_see_the_audience(shop: Shop, gql: GraphQL) -> None:
    created = await gql(shop.key, CREATE, input=_campaign(shop.start, "Loyal", "0.1"))
    campaign_id = created["data"]["createCampaign"]["campaign"]["id"]
    _, other = await shop.town.partner("Butcher")
    assert (await gql(other, REPORT, id=campaign_id))["data"]["campaign"] is None
    seen = (await gql(shop.town.operator_token, REPORT, id=campaign_id))["data"]["campaign"]
    assert seen["audience"]["segment"] == "Loyal"
    assert seen["experiment"] is not None


UPDATE = """mutation($id: ID!, $input: CampaignInput!) { updateCampaign(id: $id, input: $input) {
  campaign { id name audience { segment holdoutShare drawnAt } } errors { code message field } } }"""


async def test_a_campaign_is_changed_before_it_starts_and_not_after(shop: Shop, gql: GraphQL) -> None:
    later = datetime.now(UTC) + timedelta(days=3)
    created = await gql(shop.key, CREATE, input=_campaign(later, "Loyal", "0.1"))
    campaign_id = created["data"]["createCampaign"]["campaign"]["id"]
    changed = await gql(shop.key, UPDATE, id=campaign_id, input=_campaign(later, "At risk", "0.2", name="Again"))
    payload = changed["data"]["updateCampaign"]
    assert payload["errors"] == []
    assert (payload["campaign"]["name"], payload["campaign"]["audience"]["segment"]) == ("Again", "At risk")
    bad = await gql(shop.key, UPDATE, id=campaign_id, input=_campaign(later, "Whales", "0.2"))
    assert [(e["code"], e["field"]) for e in bad["data"]["updateCampaign"]["errors"]] == [
        ("VALIDATION", ["audience", "segment"])
    ]

    started = await gql(shop.key, CREATE, input=_campaign(shop.start, "Loyal", "0.1"))
    started_id = started["data"]["createCampaign"]["campaign"]["id"]
    refused = await gql(shop.key, UPDATE, id=started_id, input=_campaign(shop.start, "Champions", "0.1"))
    assert [e["code"] for e in refused["data"]["updateCampaign"]["errors"]] == ["CONFLICT"]
    _, other = await shop.town.partner("Florist")
    hidden = await gql(other, UPDATE, id=campaign_id, input=_campaign(later, "Loyal", "0.1"))
    assert [e["code"] for e in hidden["data"]["updateCampaign"]["errors"]] == ["NOT_FOUND"]


async def test_two_workers_drawing_at_once_draw_the_audience_once(shop: Shop, gql: GraphQL) -> None:
    later = datetime.now(UTC) + timedelta(days=5)
    created = await gql(shop.key, CREATE, input=_campaign(later, "Hibernating", "0.5"))
    campaign_id = uuid.UUID(created["data"]["createCampaign"]["campaign"]["id"])

    async def draw() -> bool:
        async with shop.town.engine.begin() as connection:
            return await campaign_experiments.draw(connection, campaign_id, later)

    outcomes = await asyncio.gather(draw(), draw(), draw())
    assert sorted(outcomes) == [False, False, True]
    async with shop.town.engine.connect() as connection:
        rows = (
            await connection.execute(
                text("SELECT count(*), count(DISTINCT member_id) FROM campaign_members WHERE campaign_id = :id"),
                {"id": campaign_id},
            )
        ).one()
    assert rows[0] == rows[1] > 0
