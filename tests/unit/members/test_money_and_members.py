from datetime import date
from decimal import Decimal

import pytest

from coalition.platform.errors import DomainError
from coalition.platform.members.rules import check_birth_date, check_email, check_phone, luhn_digit, new_card_number
from coalition.platform.money import parse_purchase_amount, to_major, to_minor


def test_minor_units_follow_the_currency() -> None:
    assert to_minor(Decimal("12.34"), "EUR") == 1234
    assert to_minor(Decimal("1234"), "JPY") == 1234
    assert to_minor(Decimal("1.234"), "KWD") == 1234
    assert to_major(1234, "EUR") == Decimal("12.34")
    assert str(to_major(5, "EUR")) == "0.05"


@pytest.mark.parametrize(
    ("amount", "currency"),
    [("12.345", "EUR"), ("1.5", "JPY"), ("0", "EUR"), ("-1", "EUR"), ("1000000.01", "EUR"), ("NaN", "EUR")],
)
def test_bad_purchase_amounts_are_refused(amount: str, currency: str) -> None:
    with pytest.raises(DomainError):
        parse_purchase_amount(Decimal(amount), currency, "amount")


def test_generated_cards_carry_a_valid_check_digit() -> None:
    for _ in range(100):
        card = new_card_number()
        assert len(card) == 13
        assert luhn_digit(card[:-1]) == card[-1]
    assert luhn_digit("7992739871") == "3"


def test_contact_details_are_checked() -> None:
    assert check_email(" ana@example.org ") == "ana@example.org"
    assert check_phone("+31 6 1234 5678") == "+31612345678"
    for bad in ["ana", "ana@", "@example.org", "a b@example.org"]:
        with pytest.raises(DomainError):
            check_email(bad)
    for bad in ["0612345678", "+0123", "+31abc"]:
        with pytest.raises(DomainError):
            check_phone(bad)
    with pytest.raises(DomainError):
        check_birth_date(date(2030, 1, 1), date(2026, 11, 22))
