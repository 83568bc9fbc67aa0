"""Cohorts by month of first purchase (insights/cohorts.py), by hand."""

from __future__ import annotations

from datetime import date

import pytest

from coalition.insights.cohorts import cohort_months, cohorts
from coalition.platform.errors import DomainError, ErrorCode
from tests.support.purchases import AMSTERDAM, BAKERY, BUTCHER, buy

HISTORY = [
    buy(1, BAKERY, "2025-01-15T10:00:00+01:00"),
    buy(1, BAKERY, "2025-03-01T00:30:00+01:00"),
    buy(1, BAKERY, "2025-03-10T12:00:00+01:00"),
    buy(6, BAKERY, "2025-01-03T10:00:00+01:00"),
    buy(6, BAKERY, "2025-02-05T10:00:00+01:00"),
    buy(6, BAKERY, "2025-03-31T23:30:00+00:00"),  # 1 April in Amsterdam: after the table's last month
    buy(5, BAKERY, "2025-02-10T12:00:00+01:00"),
    buy(5, BAKERY, "2025-02-20T12:00:00+01:00"),
    buy(2, BUTCHER, "2025-01-05T12:00:00+01:00"),
    buy(2, BAKERY, "2025-03-01T09:00:00+01:00", 0),
    buy(3, BAKERY, "2025-02-28T23:30:00+00:00"),  # 1 March in Amsterdam: the March cohort
]


def test_a_shops_cohorts_by_first_purchase_there_and_their_returns() -> None:
    rows = cohorts(HISTORY, BAKERY, cohort_months(date(2025, 1, 1), date(2025, 3, 1)), AMSTERDAM)
    assert [(row.month, row.size, row.retained) for row in rows] == [
        (date(2025, 1, 1), 2, (1.0, 0.5, 0.5)),  # members 1 and 6: 6 came back in February, 1 in March
        (date(2025, 2, 1), 1, (1.0, 0.0)),  # member 5 bought twice in February only
        (date(2025, 3, 1), 2, (1.0,)),  # members 2 and 3 (3's purchase was 00:30 on 1 March in Amsterdam)
    ]


def test_the_coalitions_cohorts_go_by_the_first_purchase_anywhere() -> None:
    rows = cohorts(HISTORY, None, cohort_months(date(2025, 1, 1), date(2025, 3, 1)), AMSTERDAM)
    january = rows[0]
    assert (january.month, january.size) == (date(2025, 1, 1), 3)  # members 1, 6 and 2 (at the butcher)
    assert january.retained == (1.0, 1 / 3, 2 / 3)  # 6 in February; 1 and 2 in March


def test_any_day_names_its_month_and_an_empty_month_has_no_row() -> None:
    months = cohort_months(date(2024, 12, 24), date(2025, 2, 14))
    assert (months.first, months.last) == (date(2024, 12, 1), date(2025, 2, 1))
    rows = cohorts(HISTORY, BAKERY, months, AMSTERDAM)
    assert [row.month for row in rows] == [date(2025, 1, 1), date(2025, 2, 1)]
    assert rows[0].retained == (1.0, 0.5)  # the list runs up to toMonth
    assert cohorts([], BAKERY, months, AMSTERDAM) == ()


def test_the_months_may_not_run_backwards_nor_span_more_than_five_years() -> None:
    with pytest.raises(DomainError) as backwards:
        cohort_months(date(2025, 3, 1), date(2025, 2, 28))
    assert (backwards.value.code, backwards.value.field) == (ErrorCode.VALIDATION, ("toMonth",))
    with pytest.raises(DomainError):
        cohort_months(date(2020, 1, 1), date(2025, 1, 1))
    assert cohort_months(date(2020, 1, 1), date(2024, 12, 1)).last == date(2024, 12, 1)
