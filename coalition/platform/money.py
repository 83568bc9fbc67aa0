"""Money in minor units, per ISO 4217 (via Babel's currency data)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from babel.numbers import get_currency_precision, list_currencies

from coalition.platform.errors import validation

# A purchase above this (in major units) is a typo or an attack, not a basket.
MAX_PURCHASE = Decimal("1000000")


def is_currency(code: str) -> bool:
    return code in list_currencies()


def exponent(currency: str) -> int:
    return int(get_currency_precision(currency))


def to_minor(amount: Decimal, currency: str, *field: str) -> int:
    """Exact conversion: refuses more decimals than the currency has."""
    try:
        if not amount.is_finite():
            raise validation("amount must be a finite number", *field)
        scaled = amount.scaleb(exponent(currency))
        if scaled != scaled.to_integral_value():
            raise validation(f"{currency} has {exponent(currency)} decimals; {amount} has more", *field)
    except InvalidOperation as exc:
        raise validation("amount is not a number", *field) from exc
    return int(scaled)


def to_major(minor: int, currency: str) -> Decimal:
    places = exponent(currency)
    return Decimal(minor).scaleb(-places).quantize(Decimal(1).scaleb(-places))


def parse_purchase_amount(amount: Decimal, currency: str, *field: str) -> int:
    minor = to_minor(amount, currency, *field)
    if minor <= 0:
        raise validation("amount must be greater than zero", *field)
    if amount > MAX_PURCHASE:
        raise validation(f"amount must not exceed {MAX_PURCHASE}", *field)
    return minor
