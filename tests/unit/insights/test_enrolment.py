"""Before and after joining, and the programme's ROI (insights/enrolment.py), by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from coalition.insights.enrolment import before_after, enrolment_windows, programme_cost_minor, programme_roi
from coalition.platform.errors import DomainError, ErrorCode
from tests.support.purchases import AMSTERDAM, BAKERY, BUTCHER, buy, member

MARCH_1 = date(2025, 3, 1)
HISTORY = [
    buy(1, BAKERY, "2025-02-01T10:00:00+01:00", 1000),
    buy(1, BAKERY, "2025-02-15T10:00:00+01:00", 500),
    buy(1, BAKERY, "2025-02-28T23:30:00+00:00", 2000),  # 1 March in Amsterdam: the enrolment day, after
    buy(1, BAKERY, "2025-03-30T10:00:00+02:00", 1000),
    buy(1, BAKERY, "2025-03-31T10:00:00+02:00", 9999),  # after the 30-day window
    buy(2, BAKERY, "2025-03-05T10:00:00+01:00", 800),  # nothing before: not counted
    buy(3, BAKERY, "2025-02-20T10:00:00+01:00", 400),
    buy(3, BAKERY, "2025-03-25T10:00:00+01:00", 400),  # enrolled 20 March: window not over by 10 April
    buy(4, BAKERY, "2025-01-29T10:00:00+01:00", 700),  # a day before the before-window
    buy(4, BAKERY, "2025-03-05T10:00:00+01:00", 700),
    buy(5, BUTCHER, "2025-02-10T10:00:00+01:00", 300),  # before at another shop
    buy(5, BAKERY, "2025-03-10T10:00:00+01:00", 300),
]
ENROLLED = {
    member(1): MARCH_1,
    member(2): MARCH_1,
    member(3): date(2025, 3, 20),
    member(4): MARCH_1,
    member(5): MARCH_1,
}


def test_windows_are_equal_and_the_enrolment_day_is_after() -> None:
    before, after = enrolment_windows(MARCH_1, 30)
    assert (before.first, before.last, after.first, after.last) == (
        date(2025, 1, 30), date(2025, 2, 28), date(2025, 3, 1), date(2025, 3, 30),
    )  # fmt: skip
    assert before.days == after.days == 30


def test_only_members_with_purchases_in_both_complete_windows_count() -> None:
    result = before_after(HISTORY, BAKERY, ENROLLED, 30, date(2025, 4, 10), AMSTERDAM)
    assert result.member_ids == {member(1)}
    assert result.members == 1
    assert (result.before.spend_minor, result.before.visits) == (1500, 2)
    assert (result.after.spend_minor, result.after.visits) == (3000, 2)
    assert result.extra_spend_minor == 1500
    assert result.after.spend_per_member_minor(result.members) == 3000
    assert result.before.visits_per_member(result.members) == 2.0
    assert result.before.spend_per_member_minor(0) is None


def test_a_window_still_running_does_not_count() -> None:
    assert before_after(HISTORY, BAKERY, ENROLLED, 30, date(2025, 3, 29), AMSTERDAM).members == 0
    assert before_after(HISTORY, BAKERY, ENROLLED, 30, date(2025, 3, 30), AMSTERDAM).members == 1
    with pytest.raises(DomainError) as refused:
        before_after(HISTORY, BAKERY, ENROLLED, 0, date(2025, 4, 10), AMSTERDAM)
    assert (refused.value.code, refused.value.field) == (ErrorCode.VALIDATION, ("windowDays",))


def test_roi_is_extra_margin_less_cost_over_cost() -> None:
    assert programme_roi(1500, Decimal("0.30"), 300) == Decimal("0.5")  # (450 - 300) / 300
    assert programme_roi(1000, Decimal("0.25"), 300) == Decimal("-0.1667")  # (250 - 300) / 300, half-even
    assert programme_roi(-1000, Decimal("0.25"), 500) == Decimal("-1.5")  # members spent less after
    assert programme_roi(1500, Decimal("0.30"), 0) is None  # it cost nothing: no ratio
    with pytest.raises(DomainError) as refused:
        programme_roi(1500, Decimal("1.5"), 300)
    assert refused.value.field == ("margin",)


def test_the_cost_counts_the_settlement_fees_beside_the_points_redeemed() -> None:
    # 250 points redeemed at 0.01 EUR are 2.50; the shop paid 0.40 + 0.35 in fees on two settled days.
    cost = programme_cost_minor(250, 40 + 35)
    assert cost == 325
    # Members spent 15.00 more after joining at a 30% margin: 4.50 extra margin, (450 - 325) / 325 = 0.384615...
    assert programme_roi(1500, Decimal("0.30"), cost) == Decimal("0.3846")
    # Without the fees the same programme would look better: (450 - 250) / 250.
    assert programme_roi(1500, Decimal("0.30"), programme_cost_minor(250, 0)) == Decimal("0.8")
    # Fees alone are a cost: nothing redeemed, 0.75 in fees, 1.00 extra spend at 30%: (30 - 75) / 75.
    assert programme_roi(100, Decimal("0.30"), programme_cost_minor(0, 75)) == Decimal("-0.6")
