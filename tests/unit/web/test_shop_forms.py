"""The shop forms' rules: amounts and points as people type them, card
numbers, and the API's refusals placed next to the right field."""

from __future__ import annotations

from decimal import Decimal

import pytest

from coalition.web.shop import forms
from coalition.web.shop.forms import Refusal


@pytest.mark.parametrize(
    ("typed", "amount"),
    [("12.50", "12.50"), ("12,50", "12.50"), ("€ 3", "3"), (" 7 ", "7"), ("0.01", "0.01"), ("1000000", "1000000")],
)
def test_amounts_as_people_type_them(typed: str, amount: str) -> None:
    refusal = Refusal()
    assert forms.amount(typed, refusal) == Decimal(amount)
    assert not refusal


@pytest.mark.parametrize("typed", ["", "abc", "-1", "0", "1.234", "1000000.01", "NaN", "Infinity", "1e3x"])
def test_amounts_that_are_not_refused_next_to_the_field(typed: str) -> None:
    refusal = Refusal()
    assert forms.amount(typed, refusal) is None
    assert set(refusal.fields) == {"amount"}


def test_points_and_cards() -> None:
    refusal = Refusal()
    assert forms.points("1.500", refusal) == 1500
    assert forms.card_number("8123 4567 8901", refusal) == "812345678901"
    assert not refusal
    assert forms.points("0", refusal) is None
    assert forms.card_number("no!", refusal, "card") is None
    assert set(refusal.fields) == {"points", "card"}


def test_a_new_key_each_time_the_form_is_drawn() -> None:
    keys = {forms.new_key() for _ in range(100)}
    assert len(keys) == 100
    assert all(len(key) <= 128 and " " not in key for key in keys)


def test_refusals_go_next_to_the_field_they_are_about() -> None:
    earn = frozenset({"cardNumber", "amount", "lines"})
    unknown = forms.refused([{"code": "NOT_FOUND", "message": "x", "field": None}], earn)
    assert unknown.fields == {"cardNumber": "No member has this card number."}
    lines = forms.refused([{"code": "VALIDATION", "message": "x", "field": ["lines", "0", "sku"]}], earn)
    assert set(lines.fields) == {"lines"}
    inactive = forms.refused([{"code": "PARTNER_NOT_ACTIVE", "message": "x", "field": None}], earn)
    assert (inactive.fields, inactive.form) == (
        {},
        forms.N_("Your shop is not active in the coalition now, so the till cannot post."),
    )
    returned = forms.refused([{"code": "NOT_FOUND", "message": "x", "field": None}], frozenset({"transactionId"}))
    assert returned.fields == {"transactionId": "This purchase is not one of your shop's."}
    strange = forms.refused([{"code": "SOMETHING_NEW", "message": "x", "field": None}], earn)
    assert strange.form is not None
