"""Queries too big to be worth running are refused before they run, and
before validation when they are too big even to validate cheaply."""

from __future__ import annotations

import pytest

from tests.support.graphql import WALLET

FLOOD = "{ " + " ".join(["coalition { name }"] * 1240) + " }"


def _refusal(answer) -> tuple[str, str]:
    assert answer["_status"] == 200
    assert answer.get("data") is None
    [error] = answer["errors"]
    return error["extensions"]["code"], error["message"]


@pytest.mark.parametrize("credential", ["operator", "member_token_a", "pos_a"])
async def test_a_flood_of_fields_is_refused_before_validation(scene, gql, credential) -> None:
    code, message = _refusal(await gql(getattr(scene, credential), FLOOD))
    assert code == "QUERY_TOO_COMPLEX"
    assert "more than 300 fields" in message


async def test_the_refusal_does_not_depend_on_the_cache(scene, gql) -> None:
    """Changing one space makes a new text: it is counted again, cheaply,
    and never validated (an unknown field inside would otherwise be named)."""
    for spaces in range(1, 4):
        query = "{" + " " * spaces + " ".join(["coalition { name }"] * 1240) + " noSuchField }"
        code, message = _refusal(await gql(scene.operator, query))
        assert code == "QUERY_TOO_COMPLEX"
        assert "noSuchField" not in message


async def test_fragments_are_counted_where_they_are_spread(scene, gql) -> None:
    fragment = "fragment F on Coalition { " + " ".join(f"a{i}: name" for i in range(20)) + " }"
    query = "{ " + " ".join(f"c{i}: coalition {{ ...F }}" for i in range(20)) + " } " + fragment
    code, _ = _refusal(await gql(scene.operator, query))
    assert code == "QUERY_TOO_COMPLEX"


async def test_a_query_whose_worst_case_exceeds_the_cost_is_refused(scene, gql) -> None:
    pages = " ".join(f"p{i}: partners(first: 100) {{ edges {{ node {{ id }} }} }}" for i in range(6))
    code, message = _refusal(await gql(scene.operator, f"{{ coalition {{ {pages} }} }}"))
    assert code == "QUERY_TOO_COMPLEX"
    assert "up to 1207 objects" in message


async def test_the_cost_counts_first_given_in_variables_and_defaults(scene, gql) -> None:
    query = """query($n: Int) { coalition { a: partners(first: $n) { edges { node { id } } }
      b: partners { edges { node { id } } } } }"""
    # 1 + (1 + 100 + 100) + (1 + 50 + 50 by default) = 303: served.
    served = await gql(scene.operator, query, n=100)
    assert "errors" not in served
    # A page of 100 under each of five aliases: 1 + 5 x 201 = 1006, refused.
    many = " ".join(f"a{i}: partners(first: $n) {{ edges {{ node {{ id }} }} }}" for i in range(5))
    code, _ = _refusal(await gql(scene.operator, f"query($n: Int) {{ coalition {{ {many} }} }}", n=100))
    assert code == "QUERY_TOO_COMPLEX"


async def test_nested_lists_multiply(scene, gql) -> None:
    """A member's page of transactions, each with its coupons (a short list
    counted as five), under several aliases."""
    member = (
        "m{i}: member(cardNumber: $card) {{ wallet {{ transactions(first: 100) {{ edges {{ node {{ id "
        "coupons {{ code }} partner {{ id }} }} }} }} }} }}"
    )
    query = "query($card: String!) { " + " ".join(member.format(i=i) for i in range(2)) + " }"
    code, message = _refusal(await gql(scene.operator, query, card=scene.card_a))
    assert code == "QUERY_TOO_COMPLEX"
    assert "1606 objects" in message


async def test_typical_queries_pass_the_limits(scene, gql) -> None:
    wallet = await gql(scene.member_token_a, WALLET, card=scene.card_a)
    assert "errors" not in wallet
    portal = await gql(
        scene.operator,
        """{ coalition { name partners(first: 100) { edges { cursor node { id name status outstandingPoints } }
          pageInfo { hasNextPage endCursor } } }
          auditLog(first: 100) { edges { cursor } } }""",
    )
    assert "errors" not in portal, portal
    member_page = await gql(
        scene.operator,
        """query($card: String!) { member(cardNumber: $card) { id cardNumber tier { name }
          stampCards { stamps } coupons { code } notices { kind }
          wallet { balance available pending expiringSoon { points }
            transactions(first: 50) { edges { cursor node { id kind points explanation partner { name }
              coupons { code } } } pageInfo { hasNextPage endCursor } } } } }""",
        card=scene.card_a,
    )
    assert "errors" not in member_page, member_page
