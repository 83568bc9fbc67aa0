"""Basket rules (insights/baskets.py) on receipts counted by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from coalition.insights.baskets import basket_rules, rounded_lift
from coalition.insights.model import Line, Purchase
from coalition.insights.ranges import DateRange
from coalition.platform.errors import DomainError, ErrorCode
from tests.support.purchases import AMSTERDAM, BAKERY, BUTCHER, buy

MARCH = DateRange(date(2025, 3, 1), date(2025, 3, 31))
AT = "2025-03-10T12:00:00+01:00"


def with_return(receipt: Purchase, category: str) -> Purchase:
    """The receipt with a returned item in ``category`` (a negative line)."""
    returned = Line("sku-returned", category, Decimal(1), -100)
    return Purchase(receipt.member_id, receipt.partner_id, receipt.occurred_at, receipt.value_minor - 100,
                    (*receipt.lines, returned))  # fmt: skip


HISTORY = [
    buy(1, BAKERY, AT, 500, "bread", "butter"),
    buy(2, BAKERY, AT, 500, "bread", "butter"),
    buy(3, BAKERY, AT, 0, "bread", "jam"),  # a zero-value receipt counts as any other
    buy(4, BAKERY, AT, 300, "bread"),
    with_return(buy(5, BAKERY, AT, 600, "butter"), "jam"),  # a returned jar still puts jam on the receipt
    buy(6, BAKERY, AT, 200),  # no lines: says nothing about baskets
    buy(7, BAKERY, AT, 200, ""),  # a line without a category: neither
    buy(8, BAKERY, "2025-03-31T22:30:00+00:00", 500, "bread", "butter"),  # 1 April in Amsterdam
    buy(9, BUTCHER, AT, 500, "bread", "butter"),  # another shop
]


def test_rules_with_support_confidence_and_lift_in_the_contracts_order() -> None:
    # 5 receipts; bread on 4, butter on 3, jam on 2; bread+butter 2, bread+jam 1, butter+jam 1.
    rules = basket_rules(HISTORY, BAKERY, MARCH, AMSTERDAM, min_support=0.0)
    assert [(r.antecedent, r.consequent, r.receipts, r.support, r.confidence, r.lift) for r in rules] == [
        ("bread", "butter", 2, 2 / 5, 2 / 4, (2 * 5) / (4 * 3)),
        ("butter", "bread", 2, 2 / 5, 2 / 3, (2 * 5) / (3 * 4)),
        # lift 5/6 too, equal to the above: lower support, then antecedent ascending
        ("butter", "jam", 1, 1 / 5, 1 / 3, (1 * 5) / (3 * 2)),
        ("jam", "butter", 1, 1 / 5, 1 / 2, (1 * 5) / (2 * 3)),
        ("bread", "jam", 1, 1 / 5, 1 / 4, (1 * 5) / (4 * 2)),
        ("jam", "bread", 1, 1 / 5, 1 / 2, (1 * 5) / (2 * 4)),
    ]


def test_min_support_is_inclusive_and_first_cuts_the_list() -> None:
    assert len(basket_rules(HISTORY, BAKERY, MARCH, AMSTERDAM, min_support=0.2)) == 6  # 1/5 is 0.2
    assert [(r.antecedent, r.consequent) for r in basket_rules(HISTORY, BAKERY, MARCH, AMSTERDAM, min_support=0.3)] == [
        ("bread", "butter"), ("butter", "bread"),
    ]  # fmt: skip
    assert len(basket_rules(HISTORY, BAKERY, MARCH, AMSTERDAM, min_support=0.0, first=3)) == 3
    assert basket_rules(HISTORY, BAKERY, MARCH, AMSTERDAM, first=0) == []
    assert basket_rules(HISTORY, BAKERY, DateRange(date(2024, 1, 1), date(2024, 1, 31)), AMSTERDAM) == []


def test_the_coalition_counts_every_shops_receipts() -> None:
    rules = basket_rules(HISTORY, None, MARCH, AMSTERDAM, min_support=0.0)
    top = rules[0]
    # 6 receipts (the butcher's too): bread 5, butter 4, both 3
    assert (top.antecedent, top.consequent, top.receipts, top.support) == ("bread", "butter", 3, 3 / 6)
    assert top.lift == (3 * 6) / (5 * 4)


def test_lifts_equal_to_nine_decimals_are_equal() -> None:
    assert rounded_lift(2, 5, 4, 3) == rounded_lift(1, 5, 3, 2) == 833_333_333
    # 1 and 1 + 1e-10 are equal to nine decimals; 1 + 1e-9 is not
    assert rounded_lift(10**10 + 1, 1, 10**5, 10**5) == rounded_lift(1, 1, 1, 1)
    assert rounded_lift(10**9 + 1, 1, 10**9, 1) > rounded_lift(1, 1, 1, 1)
    assert rounded_lift(1, 2, 1, 1) == 2 * 10**9
    assert rounded_lift(1, 1, 3, 1) == 333_333_333  # 0.3333333333 rounds down
    assert rounded_lift(2, 1, 3, 1) == 666_666_667  # 0.6666666666 rounds up


@pytest.mark.parametrize(("min_support", "first", "field"), [
    (-0.01, 20, "minSupport"), (1.01, 20, "minSupport"), (float("nan"), 20, "minSupport"),
    (0.01, 101, "first"), (0.01, -1, "first"),
])  # fmt: skip
def test_arguments_out_of_bounds_are_refused(min_support: float, first: int, field: str) -> None:
    with pytest.raises(DomainError) as refused:
        basket_rules(HISTORY, BAKERY, MARCH, AMSTERDAM, min_support=min_support, first=first)
    assert (refused.value.code, refused.value.field) == (ErrorCode.VALIDATION, (field,))
