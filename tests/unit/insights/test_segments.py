"""Recency-frequency segments and the lapsed list (insights/segments.py), by hand."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coalition.insights.model import Purchase
from coalition.insights.segments import SEGMENTS, lapsed, member_scores, ntile, segment_of, segments
from tests.support.purchases import AMSTERDAM, BAKERY, BUTCHER, buy, member

AS_OF = date(2025, 6, 30)


def at_noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=AMSTERDAM)


def grid_history() -> list[Purchase]:
    """25 members, one per cell of the 5 x 5 grid: member 1 + 5r + f has recency quintile r + 1 and
    frequency quintile f + 1 (r, f in 0..4), with 5f + r + 1 purchases of 100 each."""
    history = []
    for r in range(5):
        for f in range(5):
            who = 1 + 5 * r + f
            last = AS_OF - timedelta(days=25 - (5 * r + f))  # later for higher r, then higher f
            count = 5 * f + r + 1
            days = [last - timedelta(days=30 + k) for k in range(count - 1)] + [last]
            history += [Purchase(member(who), BAKERY, at_noon(day), 100) for day in days]
    return history


def test_ntile_splits_as_postgresql_does() -> None:
    # Checked against PostgreSQL's ntile(5) over 1..n.
    assert [ntile(i, 7) for i in range(7)] == [1, 1, 2, 2, 3, 4, 5]
    assert [ntile(i, 11) for i in range(11)] == [1, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert [ntile(i, 3) for i in range(3)] == [1, 2, 3]
    assert [ntile(i, 10) for i in range(10)] == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]


def test_the_grid_names_every_cell_once() -> None:
    names = {(r, f): segment_of(r, f) for r in range(1, 6) for f in range(1, 6)}
    assert set(names.values()) == set(SEGMENTS)
    assert names[5, 4] == names[5, 5] == "Champions"
    assert names[3, 4] == names[4, 5] == "Loyal"
    assert names[4, 2] == names[5, 3] == "Potential loyalists"
    assert (names[5, 1], names[4, 1], names[3, 3]) == ("New", "Promising", "Need attention")
    assert names[3, 1] == names[3, 2] == "About to sleep"
    assert names[1, 3] == names[2, 4] == "At risk"
    assert names[1, 5] == names[2, 5] == "Can't lose"
    assert names[1, 1] == names[2, 2] == "Hibernating"
    with pytest.raises(ValueError, match=r"1\.\.5"):
        segment_of(0, 3)


def test_every_segment_is_reached_with_its_members_and_revenue_share() -> None:
    scores = {score.member_id: score for score in member_scores(grid_history(), BAKERY, AS_OF, AMSTERDAM)}
    for r in range(5):
        for f in range(5):
            score = scores[member(1 + 5 * r + f)]
            assert (score.recency_score, score.frequency_score) == (r + 1, f + 1)
    counted = {
        row.segment: (row.members, row.revenue_share) for row in segments(grid_history(), BAKERY, AS_OF, AMSTERDAM)
    }
    assert list(counted) == list(SEGMENTS)
    total = sum(range(1, 26))  # purchases, 100 each
    # Champions: cells (r5, f4) and (r5, f5): 5*3+4+1 and 5*4+4+1 purchases
    assert counted["Champions"] == (2, (20 + 25) / total)
    assert counted["Can't lose"] == (2, (21 + 22) / total)  # (r1, f5), (r2, f5)
    assert counted["New"] == (1, 5 / total)  # (r5, f1)
    assert counted["Hibernating"] == (4, (1 + 2 + 6 + 7) / total)
    assert {name: members for name, (members, _) in counted.items()} == {
        "Champions": 2, "Loyal": 4, "Potential loyalists": 4, "New": 1, "Promising": 1, "Need attention": 1,
        "About to sleep": 2, "At risk": 4, "Can't lose": 2, "Hibernating": 4,
    }  # fmt: skip
    assert sum(share for _, share in counted.values()) == pytest.approx(1.0)


def test_ties_are_broken_by_member_id_and_the_window_is_365_days() -> None:
    first_day = AS_OF - timedelta(days=364)
    history = [
        buy(7, BAKERY, "2025-06-01T12:00:00+02:00"),
        buy(3, BAKERY, "2025-06-01T12:00:00+02:00"),
        Purchase(member(9), BAKERY, at_noon(first_day), 100),
        Purchase(member(8), BAKERY, at_noon(first_day - timedelta(days=1)), 100),  # a day too early
        buy(4, BUTCHER, "2025-06-01T12:00:00+02:00"),  # another shop
    ]
    scores = {score.member_id: score for score in member_scores(history, BAKERY, AS_OF, AMSTERDAM)}
    assert set(scores) == {member(3), member(7), member(9)}
    # Three members: buckets 1, 2, 3 in order of (last purchase, id), and of (purchases, id).
    assert [scores[member(n)].recency_score for n in (9, 3, 7)] == [1, 2, 3]
    assert [scores[member(n)].frequency_score for n in (3, 7, 9)] == [1, 2, 3]


def test_no_revenue_gives_every_segment_a_share_of_zero() -> None:
    rows = segments([buy(1, BAKERY, "2025-06-01T12:00:00+02:00", 0)], BAKERY, AS_OF, AMSTERDAM)
    assert sum(row.members for row in rows) == 1
    assert all(row.revenue_share == 0.0 for row in rows)
    assert all(row.members == 0 for row in segments([], None, AS_OF, AMSTERDAM))


def test_lapsed_is_over_twice_the_members_own_median_gap() -> None:
    history = [
        *(buy(1, BAKERY, f"2025-01-{day:02d}T10:00:00+01:00") for day in (1, 11, 21)),  # gaps 10, 10
        *(buy(2, BAKERY, f"2025-01-{day:02d}T10:00:00+01:00") for day in (1, 3, 13, 14, 24)),  # gaps 2, 10, 1, 10
        *(buy(3, BAKERY, f"2025-01-{day:02d}T10:00:00+01:00") for day in (1, 30)),  # only two purchases
        *(buy(4, BAKERY, "2025-01-20T10:00:00+01:00") for _ in range(3)),  # three on one day: gaps 0, 0
        buy(5, BUTCHER, "2025-01-01T10:00:00+01:00"),
    ]
    on = {day: {row.member_id: row for row in lapsed(history, BAKERY, day, AMSTERDAM)} for day in
          (date(2025, 1, 20), date(2025, 1, 21), date(2025, 2, 5), date(2025, 2, 6), date(2025, 2, 10), date(2025, 2, 11))}  # fmt: skip
    assert member(4) not in on[date(2025, 1, 20)]  # member 4 bought today: 0 days is not over 0
    # Only purchases up to the date count: on 20 January member 2 has gaps 2, 10, 1 (median 2), 6 days ago.
    assert on[date(2025, 1, 20)][member(2)].median_gap_days == Decimal(2)
    assert member(4) in on[date(2025, 1, 21)]
    assert member(2) not in on[date(2025, 2, 5)]  # median gap (2 + 10) / 2 = 6; 12 days is not over 12
    assert on[date(2025, 2, 6)][member(2)].median_gap_days == Decimal(6)
    assert member(1) not in on[date(2025, 2, 10)]  # 20 days, twice the median gap of 10
    row = on[date(2025, 2, 11)][member(1)]
    assert (row.purchases, row.last_purchase, row.median_gap_days, row.days_since_last) == (
        3,
        date(2025, 1, 21),
        Decimal(10),
        21,
    )
    assert member(3) not in on[date(2025, 2, 11)]
    # Most recently lapsed first: member 2 (24 January), member 1 (21 January), member 4 (20 January).
    assert [row.member_id for row in lapsed(history, BAKERY, date(2025, 2, 11), AMSTERDAM)] == [
        member(2),
        member(1),
        member(4),
    ]
    assert lapsed(history, BAKERY, date(2025, 1, 2), AMSTERDAM) == []  # later purchases are not seen


@settings(deadline=None)
@given(st.integers(min_value=1, max_value=200))
def test_ntile_buckets_ascend_and_differ_in_size_by_at_most_one(rows: int) -> None:
    buckets = [ntile(i, rows) for i in range(rows)]
    assert buckets == sorted(buckets)
    sizes = [buckets.count(b) for b in range(1, 6) if b in buckets]
    assert max(sizes) - min(sizes) <= 1
    assert sizes == sorted(sizes, reverse=True)  # the bigger buckets come first
    assert buckets[-1] == min(5, rows)


@settings(deadline=None)
@given(st.lists(st.tuples(st.integers(1, 30), st.integers(0, 400), st.integers(0, 5000)), max_size=60))
def test_segments_count_every_member_of_the_window_once_and_shares_add_up(rows: list[tuple[int, int, int]]) -> None:
    history = [Purchase(member(who), BAKERY, at_noon(AS_OF - timedelta(days=ago)), value) for who, ago, value in rows]
    in_window = {who for who, ago, _ in rows if ago < 365}
    counted = segments(history, BAKERY, AS_OF, AMSTERDAM)
    assert sum(row.members for row in counted) == len(in_window)
    revenue = sum(value for _, ago, value in rows if ago < 365)
    assert sum(row.revenue_share for row in counted) == (pytest.approx(1.0) if revenue else 0.0)
