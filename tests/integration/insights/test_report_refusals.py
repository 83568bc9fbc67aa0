"""Who may read which figures, and bad arguments: every refusal of every
insights query is the same FORBIDDEN error, every bad argument VALIDATION."""

from __future__ import annotations

import uuid

import pytest

from coalition.platform.auth.service import issue
from coalition.platform.auth.tokens import CredentialKind
from tests.support.graphql import GraphQL
from tests.support.town import Town

RANGE = 'from: "2024-03-01", to: "2024-03-31"'
QUERIES = {
    "kpis": f"kpis(partnerId: $p, {RANGE}) {{ period {{ purchases }} }}",
    "kpiSeries": f"kpiSeries(partnerId: $p, {RANGE}) {{ purchases }}",
    "cohorts": 'cohorts(partnerId: $p, fromMonth: "2024-01-01", toMonth: "2024-03-01") { rows { size } }',
    "segments": 'segments(partnerId: $p, asOf: "2024-03-31") { members }',
    "lapsedMembers": 'lapsedMembers(partnerId: $p, asOf: "2024-03-31") { purchases }',
    "basketRules": f"basketRules(partnerId: $p, {RANGE}) {{ lift }}",
}
SHOP_QUERIES = {
    "crossShop": f"crossShop(partnerId: $p, {RANGE}) {{ members }}",
    "beforeAfter": 'beforeAfter(partnerId: $p, asOf: "2024-03-31") { members }',
}


def _refused(answer: dict[str, object], field: str, code: str) -> bool:
    errors = answer.get("errors")
    data = answer.get("data")
    return (
        isinstance(errors, list)
        and [error["extensions"]["code"] for error in errors] == [code]
        and isinstance(data, dict)
        and data.get(field) is None
    )


async def _ask(gql: GraphQL, token: str, field: str, partner: str | None) -> dict[str, object]:
    selection = (QUERIES | SHOP_QUERIES)[field]
    kind = "ID!" if field in SHOP_QUERIES else "ID"
    return await gql(token, f"query($p: {kind}) {{ {selection} }}", p=partner)


async def test_members_other_shops_and_strangers_are_refused_alike(town: Town, gql: GraphQL) -> None:
    bakery, bakery_key = await town.partner("Bakery")
    _, butcher_key = await town.partner("Butcher")
    member_id, _ = await town.member(bakery)
    async with town.sessions.begin() as session:
        _, member_token = await issue(session, coalition_id=town.coalition_id, kind=CredentialKind.MEMBER,
                                      member_id=member_id)  # fmt: skip
    elsewhere = await Town(town.engine, town.ledger, town.setups).create()
    foreign, _ = await elsewhere.partner("Elsewhere")

    for field in QUERIES | SHOP_QUERIES:
        assert _refused(await _ask(gql, member_token, field, str(bakery)), field, "FORBIDDEN"), field
        assert _refused(await _ask(gql, butcher_key, field, str(bakery)), field, "FORBIDDEN"), field
        assert _refused(await _ask(gql, town.operator_token, field, str(foreign)), field, "FORBIDDEN"), field
        assert _refused(await _ask(gql, town.operator_token, field, str(uuid.uuid4())), field, "FORBIDDEN"), field
        own = await _ask(gql, bakery_key, field, str(bakery))
        assert "errors" not in own, (field, own)
    for field in QUERIES:
        # The coalition's figures are the operator's alone.
        assert _refused(await _ask(gql, bakery_key, field, None), field, "FORBIDDEN"), field
        assert "errors" not in await _ask(gql, town.operator_token, field, None), field


@pytest.mark.parametrize(
    ("selection", "field"),
    [
        ('kpis(from: "2024-03-31", to: "2024-03-01") { period { purchases } }', "kpis"),
        ('kpis(from: "2020-01-01", to: "2025-01-01") { period { purchases } }', "kpis"),
        ('kpiSeries(from: "2024-03-31", to: "2024-03-01") { purchases }', "kpiSeries"),
        ('kpiSeries(from: "2020-01-01", to: "2024-01-01") { purchases }', "kpiSeries"),
        ('cohorts(fromMonth: "2024-03-01", toMonth: "2024-01-01") { rows { size } }', "cohorts"),
        ('basketRules(from: "2024-03-01", to: "2024-03-31", minSupport: -0.1) { lift }', "basketRules"),
        ('basketRules(from: "2024-03-01", to: "2024-03-31", minSupport: 1.5) { lift }', "basketRules"),
        ('basketRules(from: "2024-03-01", to: "2024-03-31", first: 101) { lift }', "basketRules"),
        ('basketRules(from: "2024-03-01", to: "2024-03-31", first: -1) { lift }', "basketRules"),
        ('lapsedMembers(asOf: "2024-03-01", first: 501) { purchases }', "lapsedMembers"),
    ],
)
async def test_bad_arguments_are_a_validation_error(town: Town, gql: GraphQL, selection: str, field: str) -> None:
    assert _refused(await gql(town.operator_token, f"query {{ {selection} }}"), field, "VALIDATION")
