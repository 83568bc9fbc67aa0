"""A shop's insight settings through the API: its manager or the operator set
them, audited; another shop's key, a till key and a member cannot; bad input
is a stable code and changes nothing."""

from __future__ import annotations

from sqlalchemy import text

from tests.support.graphql import GraphQL
from tests.support.town import Town

SET = """mutation($p: ID, $input: PartnerInsightSettingsInput!) {
  setPartnerInsightSettings(partnerId: $p, input: $input) {
    partner { id kind namedInInsights margin } errors { code message field } } }"""
READ = """query($id: ID!) { partner(id: $id) { kind namedInInsights margin } }"""


async def test_manager_and_operator_set_settings_others_cannot(town: Town, gql: GraphQL) -> None:
    shop, manager = await town.partner("Bakery")
    other, other_key = await town.partner("Butcher")

    own = await gql(manager, SET, input={"kind": " bakery ", "namedInInsights": True, "margin": "0.35"})
    assert own["data"]["setPartnerInsightSettings"] == {
        "partner": {"id": str(shop), "kind": "bakery", "namedInInsights": True, "margin": "0.35"},
        "errors": [],
    }
    by_operator = await gql(town.operator_token, SET, p=str(other), input={"kind": "butcher", "margin": "0.2"})
    assert by_operator["data"]["setPartnerInsightSettings"]["partner"]["kind"] == "butcher"

    elsewhere = await gql(other_key, SET, p=str(shop), input={"kind": "florist"})
    assert elsewhere["data"]["setPartnerInsightSettings"]["errors"][0]["code"] == "NOT_FOUND"
    # Another shop sees the kind and the agreement, never the margin.
    seen = await gql(other_key, READ, id=str(shop))
    assert seen["data"]["partner"] == {"kind": "bakery", "namedInInsights": True, "margin": None}

    async with town.engine.connect() as connection:
        audited = await connection.scalar(
            text("SELECT count(*) FROM audit_log WHERE action = 'partner.insight_settings' AND coalition_id = :c"),
            {"c": town.coalition_id},
        )
    assert audited == 2


async def test_bad_settings_are_refused_and_change_nothing(town: Town, gql: GraphQL) -> None:
    _, manager = await town.partner("Bakery")
    await gql(manager, SET, input={"kind": "bakery", "margin": "0.3"})
    for bad, field in (
        ({"kind": "x" * 41}, "kind"),
        ({"margin": "1.5"}, "margin"),
        ({"margin": "-0.1"}, "margin"),
        ({"margin": "0.12345"}, "margin"),
    ):
        answer = await gql(manager, SET, input=bad)
        assert answer["data"]["setPartnerInsightSettings"]["errors"][0]["code"] == "VALIDATION"
        assert answer["data"]["setPartnerInsightSettings"]["errors"][0]["field"] == [field]
    async with town.engine.connect() as connection:
        row = (
            await connection.execute(
                text("SELECT kind, margin FROM partners WHERE coalition_id = :c"), {"c": town.coalition_id}
            )
        ).one()
    assert (row.kind, str(row.margin)) == ("bakery", "0.3000")
