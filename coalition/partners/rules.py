"""How many points a purchase earns. Pure: (purchase, programme) -> points
with a line of explanation per rule that fired."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal, InvalidOperation

from coalition.platform.errors import validation

MAX_EARN_RATE = Decimal("1000")


@dataclass(frozen=True)
class Programme:
    """What the earn engine needs to know of one partner."""

    earn_rate_per_unit: Decimal


@dataclass(frozen=True)
class Purchase:
    amount: Decimal
    currency: str


@dataclass(frozen=True)
class Earned:
    points: int
    explanation: list[str]


def check_earn_rate(rate: Decimal) -> Decimal:
    try:
        ok = rate.is_finite() and Decimal(0) <= rate <= MAX_EARN_RATE
        places = -int(rate.as_tuple().exponent)
    except (InvalidOperation, TypeError, ValueError):
        ok, places = False, 0
    if not ok:
        raise validation(f"earn rate must be between 0 and {MAX_EARN_RATE}", "earnRatePerUnit")
    if places > 4:
        raise validation("earn rate has more than 4 decimals", "earnRatePerUnit")
    return rate


def earn(purchase: Purchase, programme: Programme) -> Earned:
    """The partner's base rate: floor(amount * rate). Points are never
    rounded up, so a shop never issues more than its stated rate."""
    points = int((purchase.amount * programme.earn_rate_per_unit).to_integral_value(rounding=ROUND_FLOOR))
    rate = programme.earn_rate_per_unit.normalize()
    line = f"Base rate {rate:f} per 1 {purchase.currency} on {purchase.amount:f} {purchase.currency}: {points} points"
    return Earned(points=points, explanation=[line])
