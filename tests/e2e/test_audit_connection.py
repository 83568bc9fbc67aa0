"""The audit log pages like every other connection (pageInfo), and still
answers the flat hasNextPage/endCursor it had before, marked deprecated."""

from __future__ import annotations

from tests.support.graphql import GraphQL
from tests.support.town import Town

PAGE = """query($after: String) { auditLog(first: 2, after: $after, actionPrefix: "charity") {
  edges { cursor node { action after } } pageInfo { hasNextPage endCursor } hasNextPage endCursor } }"""


async def _charities(town: Town, gql: GraphQL, *names: str) -> None:
    for name in names:
        made = await gql(
            town.operator_token,
            "mutation($n: String!) { createCharity(input: {name: $n}) { errors { code } } }",
            n=name,
        )
        assert made["data"]["createCharity"]["errors"] == []


async def test_audit_log_pages_through_page_info_and_the_deprecated_fields_agree(town: Town, gql: GraphQL) -> None:
    await _charities(town, gql, "First", "Second", "Third")

    first = (await gql(town.operator_token, PAGE, after=None))["data"]["auditLog"]
    assert [edge["node"]["after"]["name"] for edge in first["edges"]] == ["Third", "Second"]
    assert first["pageInfo"] == {"hasNextPage": True, "endCursor": first["edges"][-1]["cursor"]}
    assert (first["hasNextPage"], first["endCursor"]) == (True, first["pageInfo"]["endCursor"])

    rest = (await gql(town.operator_token, PAGE, after=first["pageInfo"]["endCursor"]))["data"]["auditLog"]
    assert [edge["node"]["after"]["name"] for edge in rest["edges"]] == ["First"]
    assert rest["pageInfo"] == {"hasNextPage": False, "endCursor": rest["edges"][-1]["cursor"]}
    assert (rest["hasNextPage"], rest["endCursor"]) == (False, rest["pageInfo"]["endCursor"])


async def test_the_flat_page_fields_are_deprecated_in_favour_of_page_info(town: Town, gql: GraphQL) -> None:
    answer = await gql(
        town.operator_token,
        """{ __type(name: "AuditConnection") { fields(includeDeprecated: true) {
             name isDeprecated deprecationReason } } }""",
    )
    fields = {field["name"]: field for field in answer["data"]["__type"]["fields"]}
    assert fields["pageInfo"]["isDeprecated"] is False
    assert fields["hasNextPage"]["isDeprecated"] is True
    assert "pageInfo.hasNextPage" in fields["hasNextPage"]["deprecationReason"]
    assert fields["endCursor"]["isDeprecated"] is True
    assert "pageInfo.endCursor" in fields["endCursor"]["deprecationReason"]


async def test_a_bad_audit_cursor_is_a_validation_error(town: Town, gql: GraphQL) -> None:
    answer = await gql(town.operator_token, PAGE, after="not-a-cursor")
    assert answer["data"]["auditLog"] is None
    assert answer["errors"][0]["extensions"]["code"] == "VALIDATION"
