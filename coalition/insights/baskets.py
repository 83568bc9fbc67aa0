"""Basket rules: which categories are bought together on one receipt."""

from __future__ import annotations

import math
import uuid
from collections import Counter
from collections.abc import Sequence
from fractions import Fraction
from itertools import permutations
from zoneinfo import ZoneInfo

from coalition.platform.errors import validation

from .model import BasketRule, Purchase
from .ranges import DateRange, at_shop

MAX_RULES = 100
LIFT_DECIMALS = 9
LIFT_SCALE: int = 10**LIFT_DECIMALS


def check_rule_arguments(min_support: float, first: int) -> None:
    """VALIDATION errors, naming the field, for a minSupport outside 0..1 or a first outside 0..100."""
    if not math.isfinite(min_support) or not 0 <= min_support <= 1:
        raise validation("minSupport must be between 0 and 1", "minSupport")
    if not 0 <= first <= MAX_RULES:
        raise validation(f"first must be between 0 and {MAX_RULES}", "first")


def rounded_lift(both: int, receipts: int, with_antecedent: int, with_consequent: int) -> int:
    """The lift exactly, rounded half up to 9 decimals, as an integer count of 10^-9.

    Lifts equal to 9 decimals order as equal: rounding the exact fraction (not
    a float) keeps float noise from deciding the order; PostgreSQL's
    ``round(both * receipts::numeric / (with_a * with_c), 9)`` agrees.
    """
    scaled = Fraction(both * receipts, with_antecedent * with_consequent) * LIFT_SCALE + Fraction(1, 2)
    return scaled.numerator // scaled.denominator


def basket_rules(
    history: Sequence[Purchase],
    partner_id: uuid.UUID | None,
    dates: DateRange,
    zone: ZoneInfo,
    *,
    min_support: float = 0.01,
    first: int = 20,
) -> list[BasketRule]:
    """Rules A -> C by line category over the range's receipts (at this shop; with no partner, all).

    The receipts counted are those with at least one line in a category: a
    receipt posted without its basket, or whose lines have no category, says
    nothing about what is bought together, and counting it would only shrink
    every support. A receipt *has* a category when one of its lines is in it
    (a return line too). Only pairs seen together on some receipt make rules.
    support is compared with ``min_support`` as floats (``both / receipts >=
    min_support``), so a support of exactly 0.01 passes a minSupport of 0.01.
    Ordered by lift descending (equal to 9 decimals counts as equal), support
    descending, then antecedent and consequent ascending by code point (the
    SQL's ``COLLATE "C"``, not a locale's order).
    """
    check_rule_arguments(min_support, first)
    baskets = []
    for purchase in at_shop(history, partner_id):
        categories = frozenset(line.category for line in purchase.lines if line.category)
        if categories and purchase.date_in(zone) in dates:
            baskets.append(categories)
    receipts = len(baskets)
    having = Counter(category for basket in baskets for category in basket)
    together = Counter(pair for basket in baskets for pair in permutations(sorted(basket), 2))
    ranked = []
    for (antecedent, consequent), both in together.items():
        if both / receipts < min_support:
            continue
        rule = BasketRule(
            antecedent=antecedent,
            consequent=consequent,
            receipts=both,
            support=both / receipts,
            confidence=both / having[antecedent],
            lift=(both * receipts) / (having[antecedent] * having[consequent]),
        )
        order = (-rounded_lift(both, receipts, having[antecedent], having[consequent]), -both, antecedent, consequent)
        ranked.append((order, rule))
    ranked.sort(key=lambda item: item[0])
    return [rule for _, rule in ranked[:first]]
