"""The measures taken of a query document before it runs."""

from __future__ import annotations

from decimal import Decimal

import pytest
from graphql import StringValueNode, parse
from graphql.language import FloatValueNode, IntValueNode

from coalition.graphql.common import PlainDecimal
from coalition.graphql.limits import UNPAGED_LIST, control_character_at, field_count, query_cost
from coalition.graphql.schema import create_schema
from coalition.platform.errors import DomainError

SCHEMA = create_schema()._schema


def test_field_count_counts_every_field_once_per_place_it_appears() -> None:
    assert field_count(parse("{ coalition { name partners { edges { cursor } } } }"), stop_above=1000) == 5


def test_field_count_expands_fragment_spreads() -> None:
    document = parse("{ a: coalition { ...F } b: coalition { ...F } } fragment F on Coalition { name slug }")
    assert field_count(document, stop_above=1000) == 2 + 2 * 2


def test_field_count_of_nested_spreads_grows_without_walking_them_again() -> None:
    # Each level doubles: 2**30 fields, counted from 30 memoised fragments.
    levels = ["fragment L0 on Coalition { name }"] + [
        f"fragment L{i} on Coalition {{ ...L{i - 1} ...L{i - 1} }}" for i in range(1, 31)
    ]
    document = parse("{ coalition { ...L30 } } " + " ".join(levels))
    assert field_count(document, stop_above=10**12) == 1 + 2**30


def test_field_count_survives_fragment_cycles() -> None:
    document = parse("{ coalition { ...A } } fragment A on Coalition { name ...B } fragment B on Coalition { ...A }")
    assert field_count(document, stop_above=1000) == 2


def test_field_count_stops_once_past_the_limit() -> None:
    document = parse("{ " + " ".join(["coalition { name }"] * 1000) + " }")
    assert 300 < field_count(document, stop_above=300) < 310


def _cost(query: str, **variables: object) -> int:
    return query_cost(SCHEMA, parse(query), None, variables)


def test_cost_counts_objects_not_scalars() -> None:
    assert _cost("{ coalition { name slug } }") == 1


def test_cost_multiplies_a_connection_page_down_its_edges() -> None:
    assert _cost("{ coalition { partners(first: 10) { edges { node { id } } } } }") == 1 + 1 + 10 + 10


def test_cost_uses_first_from_variables_or_the_default() -> None:
    query = "query($n: Int) { coalition { partners(first: $n) { edges { node { id } } } } }"
    assert _cost(query, n=7) == 1 + 1 + 7 + 7
    # The default page of partners is 50.
    assert _cost("{ coalition { partners { edges { node { id } } } } }") == 1 + 1 + 50 + 50


def test_cost_counts_a_short_list_of_objects_as_unpaged_list() -> None:
    query = "query($c: String!) { member(cardNumber: $c) { coupons { code } } }"
    assert _cost(query, c="1") == 1 + UNPAGED_LIST


def test_cost_follows_fragments_and_aliases() -> None:
    query = """{ a: coalition { ...P } b: coalition { ...P } }
      fragment P on Coalition { partners(first: 3) { edges { node { id } } } }"""
    assert _cost(query) == 2 * (1 + 1 + 3 + 3)


def test_cost_of_the_named_operation_only() -> None:
    document = parse("query A { coalition { name } } query B { coalition { partners(first: 5) { edges { cursor } } } }")
    assert query_cost(SCHEMA, document, "A", {}) == 1
    assert query_cost(SCHEMA, document, "B", {}) == 1 + 1 + 5


@pytest.mark.parametrize(
    ("value", "where"),
    [
        ("plain", None),
        ("tab\tand\nnew\r\nlines", None),
        ("nul\x00", ("v",)),
        ("bell\x07", ("v",)),
        ("delete\x7f is not C0", None),
        ({"a": "ok", "b": ["ok", {"c": "x\x1f"}]}, ("v", "b", "1", "c")),
        ({"n": 1, "f": 1.5, "z": None}, None),
    ],
)
def test_control_characters_are_found_with_their_path(value, where) -> None:
    assert control_character_at(value, ("v",)) == where


@pytest.mark.parametrize("text", ["12.50", "0", "-3", "100", "0.000000000001"])
def test_plain_decimal_strings_are_decimals(text) -> None:
    assert PlainDecimal.parse_value(text) == Decimal(text)
    assert PlainDecimal.parse_literal(StringValueNode(value=text)) == Decimal(text)


@pytest.mark.parametrize("value", [12.5, 12, "1E+2", "1e2", "NaN", "sNaN", "Infinity", "-Inf", "", " 1", "1 ", "1_000",
                                   "+1", "1.", ".5", "१२", "1" * 21, None, True])  # fmt: skip
def test_anything_else_is_a_validation_error(value) -> None:
    with pytest.raises(DomainError) as refused:
        PlainDecimal.parse_value(value)
    assert refused.value.code == "VALIDATION"


@pytest.mark.parametrize("node", [FloatValueNode(value="12.5"), IntValueNode(value="100")])
def test_number_literals_are_a_validation_error(node) -> None:
    with pytest.raises(DomainError):
        PlainDecimal.parse_literal(node)
