"""KPI figures (insights/kpis.py) and date ranges (insights/ranges.py) on a hand-computed history."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest

from coalition.insights.kpis import PurchaseCounts, count_purchases, kpi_figures, kpis
from coalition.insights.model import KpiReport, PointsFigures
from coalition.insights.ranges import DateRange
from coalition.platform.errors import DomainError, ErrorCode
from tests.support.purchases import AMSTERDAM, BAKERY, BUTCHER, buy

MARCH = DateRange(date(2025, 3, 1), date(2025, 3, 31))

HISTORY = [
    buy(1, BAKERY, "2025-01-15T10:00:00+01:00", 500),
    buy(1, BAKERY, "2025-03-01T00:30:00+01:00", 800),
    buy(1, BAKERY, "2025-03-10T12:00:00+01:00", 1200),
    buy(1, BUTCHER, "2025-03-15T12:00:00+01:00", 400),
    buy(2, BUTCHER, "2025-01-05T12:00:00+01:00", 900),
    # member 2's first purchase at the bakery is on the range's first day, and is worth nothing
    buy(2, BAKERY, "2025-03-01T09:00:00+01:00", 0),
    # 23:30 UTC on 28 February is 00:30 on 1 March in Amsterdam: in March
    buy(3, BAKERY, "2025-02-28T23:30:00+00:00", 300),
    # 23:30 UTC on 31 March is 01:30 on 1 April in Amsterdam (summer time): not in March
    buy(4, BAKERY, "2025-03-31T23:30:00+00:00", 5000),
    buy(5, BAKERY, "2025-02-10T12:00:00+01:00", 1000),
    buy(5, BAKERY, "2025-02-20T12:00:00+01:00", 700),
]
POINTS = PointsFigures(issued=1000, redeemed=250, expired=10, outstanding=12345)


def report(partner: uuid.UUID | None) -> KpiReport:
    return kpis(HISTORY, partner, MARCH, AMSTERDAM, points=POINTS, previous_points=PointsFigures(),
                point_value=Decimal("0.005"), currency="EUR")  # fmt: skip


def test_a_shops_range_counts_its_own_purchases_by_the_coalitions_calendar() -> None:
    period = report(BAKERY).period
    assert (period.from_, period.to) == (MARCH.first, MARCH.last)
    assert period.purchases == 4  # members 1 (twice), 2 and 3; member 4's is in April
    assert period.revenue_minor == 800 + 1200 + 0 + 300
    assert period.active_members == 3
    assert period.new_members == 2  # members 2 and 3: member 1 first bought here in January
    assert period.average_order_value_minor == 2300 // 4
    assert period.purchase_frequency == 4 / 3
    assert period.repeat_rate == 1 / 3


def test_the_previous_range_has_as_many_days_and_ends_the_day_before() -> None:
    previous = report(BAKERY).previous
    assert (previous.from_, previous.to) == (date(2025, 1, 29), date(2025, 2, 28))
    assert (previous.purchases, previous.revenue_minor, previous.active_members, previous.new_members) == (
        2,
        1700,
        1,
        1,
    )
    assert previous.average_order_value_minor == 850
    assert previous.repeat_rate == 1.0


def test_the_coalition_counts_every_shop_and_a_first_purchase_anywhere() -> None:
    period = report(None).period
    assert period.purchases == 5
    assert period.revenue_minor == 2700
    assert period.active_members == 3
    assert period.new_members == 1  # only member 3: member 2 first bought at the butcher in January
    assert period.repeat_rate == 1 / 3  # member 1, three purchases
    assert period.average_order_value_minor == 540


def test_points_figures_and_the_liability_at_the_point_value() -> None:
    period = report(BAKERY).period
    assert (period.points_issued, period.points_redeemed, period.points_expired) == (1000, 250, 10)
    assert period.redemption_rate == 0.25
    assert period.outstanding_points == 12345
    assert period.outstanding_liability_minor == 6172  # 12345 x 0.5 cent = 6172.5, half-even
    assert report(BAKERY).previous.redemption_rate is None  # nothing issued


def test_an_empty_range_has_zeros_and_no_ratios() -> None:
    empty = DateRange(date(2024, 6, 1), date(2024, 6, 30))
    counts = count_purchases(HISTORY, BAKERY, empty, AMSTERDAM)
    assert counts == PurchaseCounts()
    figures = kpi_figures(empty, counts, PointsFigures(), Decimal("0.01"), "EUR")
    assert (figures.purchases, figures.revenue_minor, figures.active_members, figures.new_members) == (0, 0, 0, 0)
    assert figures.average_order_value_minor is None
    assert figures.purchase_frequency is None
    assert figures.repeat_rate is None
    assert figures.redemption_rate is None
    assert figures.outstanding_liability_minor == 0


def test_average_order_value_rounds_half_even_and_a_net_reversal_has_no_rate() -> None:
    day = DateRange(date(2025, 1, 1), date(2025, 1, 1))
    assert (
        kpi_figures(day, PurchaseCounts(1, 0, 0, 4, 10), PointsFigures(), Decimal(1), "EUR").average_order_value_minor
        == 2
    )
    assert (
        kpi_figures(day, PurchaseCounts(1, 0, 0, 4, 14), PointsFigures(), Decimal(1), "EUR").average_order_value_minor
        == 4
    )
    reversed_more = PointsFigures(issued=-50, redeemed=10)
    assert kpi_figures(day, PurchaseCounts(), reversed_more, Decimal(1), "EUR").redemption_rate is None


def test_a_range_may_not_run_backwards_nor_cover_more_than_five_years() -> None:
    with pytest.raises(DomainError) as backwards:
        DateRange.checked(date(2025, 3, 2), date(2025, 3, 1))
    assert (backwards.value.code, backwards.value.field) == (ErrorCode.VALIDATION, ("to",))
    assert DateRange.checked(date(2020, 1, 1), date(2024, 12, 31)).days == 1827
    with pytest.raises(DomainError) as too_long:
        DateRange.checked(date(2020, 1, 1), date(2025, 1, 1))
    assert too_long.value.code == ErrorCode.VALIDATION
    assert DateRange.checked(date(2024, 2, 29), date(2029, 2, 27)).last == date(2029, 2, 27)
    with pytest.raises(DomainError):
        DateRange.checked(date(2024, 2, 29), date(2029, 2, 28))
    assert DateRange.checked(date(2025, 3, 1), date(2025, 3, 1)).days == 1
