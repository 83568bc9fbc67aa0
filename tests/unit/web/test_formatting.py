"""Numbers, money and dates as each language writes them; money is never a float."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from coalition.web.formatting import Formats


@pytest.mark.parametrize(
    ("language", "number", "money", "day"),
    [
        ("en", "1,234.5", "€1,234.50", "March 7, 2026"),
        ("nl", "1.234,5", "€\xa01.234,50", "7 maart 2026"),
        ("fr", "1\u202f234,5", "1\u202f234,50\xa0€", "7 mars 2026"),
        ("pl", "1\xa0234,5", "1\xa0234,50\xa0€", "7 marca 2026"),
        ("nb", "1\xa0234,5", "1\xa0234,50\xa0€", "7. mars 2026"),
    ],
)
def test_each_language_writes_numbers_money_and_dates_its_own_way(
    language: str, number: str, money: str, day: str
) -> None:
    formats = Formats(language)
    assert formats.number(Decimal("1234.5")) == number
    assert formats.money("1234.50", "EUR") == money  # a GraphQL Decimal arrives as a string
    assert formats.date(date(2026, 3, 7)) == day
    assert formats.date("2026-03-07") == day


def test_moments_are_shown_in_the_coalitions_time_zone() -> None:
    late = datetime(2026, 3, 7, 23, 30, tzinfo=UTC)
    assert Formats("nl", "Europe/Amsterdam").moment(late, "short") == "08-03-2026, 00:30"
    assert Formats("en", "UTC").moment("2026-03-07T23:30:00+00:00", "short") == "3/7/26, 11:30\u202fPM"
