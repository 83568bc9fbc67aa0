"""Date ranges and months as the insights contract reads them, and which purchases fall in them.

A range ``from``..``to`` is inclusive of both dates; a purchase's date is its
moment in the coalition's time zone. A range may not run backwards nor cover
more than five years (a dashboard query over all of history is a mistake,
and an expensive one).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from coalition.platform.errors import validation

from .model import Purchase

MAX_RANGE_YEARS = 5


def add_years(day: date, years: int) -> date:
    """The same calendar date ``years`` later; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def add_months(month: date, months: int) -> date:
    """The first day of the month ``months`` after ``month``'s."""
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def months_between(earlier: date, later: date) -> int:
    """Whole calendar months from ``earlier``'s month to ``later``'s (0 for the same month)."""
    return (later.year - earlier.year) * 12 + later.month - earlier.month


@dataclass(frozen=True)
class DateRange:
    first: date
    last: date

    @classmethod
    def checked(cls, first: date, last: date, *, first_field: str = "from", last_field: str = "to") -> DateRange:
        """The range, or a VALIDATION error naming the field when it runs backwards or is too long."""
        if last < first:
            raise validation(f"the range runs backwards: {last_field} is before {first_field}", last_field)
        if last >= add_years(first, MAX_RANGE_YEARS):
            raise validation(f"a range may cover at most {MAX_RANGE_YEARS} years", last_field)
        return cls(first, last)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def previous(self) -> DateRange:
        """The range of the same number of days that ends the day before this one starts."""
        last = self.first - timedelta(days=1)
        return DateRange(last - timedelta(days=self.days - 1), last)

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.first <= day <= self.last


def at_shop(purchases: Iterable[Purchase], partner_id: uuid.UUID | None) -> Iterator[Purchase]:
    """Purchases at one shop, or all of them when ``partner_id`` is None (the whole coalition)."""
    if partner_id is None:
        yield from purchases
    else:
        yield from (purchase for purchase in purchases if purchase.partner_id == partner_id)


def dated(purchases: Iterable[Purchase], zone: ZoneInfo) -> list[tuple[date, Purchase]]:
    """Each purchase with its date in the coalition's time zone, in order of time (then member id)."""
    ordered = sorted(purchases, key=lambda purchase: (purchase.occurred_at, purchase.member_id))
    return [(purchase.date_in(zone), purchase) for purchase in ordered]


def first_purchase_dates(purchases: Iterable[Purchase], zone: ZoneInfo) -> dict[uuid.UUID, date]:
    """Each member's first purchase date among ``purchases`` (pass all of history for "ever")."""
    firsts: dict[uuid.UUID, date] = {}
    for purchase in purchases:
        day = purchase.date_in(zone)
        known = firsts.get(purchase.member_id)
        if known is None or day < known:
            firsts[purchase.member_id] = day
    return firsts
