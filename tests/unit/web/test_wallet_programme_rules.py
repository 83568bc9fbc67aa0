"""The wallet programme pages' own rules, without a server: points typed in
a form, and amounts of points summed per day in the coalition's time zone."""

from __future__ import annotations

from datetime import date

import pytest
from litestar.testing import RequestFactory

from coalition.web.wallet.programme.common import points_value
from coalition.web.wallet.programme.points import by_date


def test_points_are_summed_per_local_day_soonest_first() -> None:
    items = [
        {"points": 5, "at": "2026-12-10T23:30:00+00:00"},  # already the 11th in Amsterdam
        {"points": 7, "at": "2026-12-11T08:00:00+00:00"},
        {"points": 3, "at": "2026-12-04T12:00:00+00:00"},
    ]
    assert by_date(items, "at", "Europe/Amsterdam") == [(date(2026, 12, 4), 3), (date(2026, 12, 11), 12)]
    assert by_date(items, "at", "UTC") == [(date(2026, 12, 4), 3), (date(2026, 12, 10), 5), (date(2026, 12, 11), 7)]
    assert by_date([], "at", "UTC") == []


@pytest.mark.parametrize(
    ("typed", "points"),
    [("25", 25), (" 1 000 ", 1000), ("1\u00a0000", 1000), ("0", None), ("-3", None), ("2.5", None), ("", None),
     ("abc", None), ("99999999999", None), (None, None)],
)  # fmt: skip
def test_only_a_whole_positive_number_of_points_is_taken(typed: str | None, points: int | None) -> None:
    found, problem = points_value(RequestFactory().get("/wallet/give"), typed)
    assert found == points
    assert (problem is None) == (points is not None)
