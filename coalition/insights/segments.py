"""Recency-frequency segments as of a date, and the lapsed list a shop can act on."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise
from zoneinfo import ZoneInfo

from .model import LapsedMember, MemberScore, Purchase, SegmentCount
from .ranges import DateRange, at_shop

SEGMENT_DAYS = 365
QUINTILES = 5

# (segment, recency scores, frequency scores); together they cover the 5 x 5 grid exactly once.
SEGMENT_GRID: tuple[tuple[str, range, range], ...] = (
    ("Champions", range(5, 6), range(4, 6)),
    ("Loyal", range(3, 5), range(4, 6)),
    ("Potential loyalists", range(4, 6), range(2, 4)),
    ("New", range(5, 6), range(1, 2)),
    ("Promising", range(4, 5), range(1, 2)),
    ("Need attention", range(3, 4), range(3, 4)),
    ("About to sleep", range(3, 4), range(1, 3)),
    ("At risk", range(1, 3), range(3, 5)),
    ("Can't lose", range(1, 3), range(5, 6)),
    ("Hibernating", range(1, 3), range(1, 3)),
)
SEGMENTS = tuple(name for name, _, _ in SEGMENT_GRID)


def segment_of(recency_score: int, frequency_score: int) -> str:
    for name, recency, frequency in SEGMENT_GRID:
        if recency_score in recency and frequency_score in frequency:
            return name
    raise ValueError(f"scores must be 1..5, got R{recency_score} F{frequency_score}")


def ntile(position: int, rows: int, buckets: int = QUINTILES) -> int:
    """The bucket (1..buckets) PostgreSQL's ``ntile(buckets)`` gives the row at 0-based ``position`` of ``rows``.

    Buckets are as equal as possible and the first ``rows % buckets`` of them
    hold one row more; with fewer rows than buckets, the rows take buckets
    1, 2, 3, ... one each.
    """
    size, remainder = divmod(rows, buckets)
    bigger_rows = remainder * (size + 1)
    if position < bigger_rows:
        return position // (size + 1) + 1
    return remainder + (position - bigger_rows) // size + 1


def segment_window(as_of: date) -> DateRange:
    """The 365 days that end on ``as_of``."""
    return DateRange(as_of - timedelta(days=SEGMENT_DAYS - 1), as_of)


def member_scores(
    history: Sequence[Purchase], partner_id: uuid.UUID | None, as_of: date, zone: ZoneInfo
) -> list[MemberScore]:
    """Every member with a purchase in the 365 days to ``as_of`` (at this shop; with no partner, anywhere).

    Scores are quintiles, 5 the best, exactly as PostgreSQL computes
    ``ntile(5) OVER (ORDER BY last_purchase, member_id)`` for recency and
    ``ntile(5) OVER (ORDER BY purchases, member_id)`` for frequency: ties in
    the value are broken by member id (ascending), so two members with equal
    values can land in neighbouring quintiles, and with fewer than five
    members the best one scores below 5.
    """
    window = segment_window(as_of)
    last: dict[uuid.UUID, date] = {}
    counts: dict[uuid.UUID, int] = defaultdict(int)
    revenue: dict[uuid.UUID, int] = defaultdict(int)
    for purchase in at_shop(history, partner_id):
        day = purchase.date_in(zone)
        if day in window:
            last[purchase.member_id] = max(day, last.get(purchase.member_id, day))
            counts[purchase.member_id] += 1
            revenue[purchase.member_id] += purchase.value_minor
    rows = len(last)
    by_recency = sorted(last, key=lambda member: (last[member], member))
    by_frequency = sorted(last, key=lambda member: (counts[member], member))
    recency = {member: ntile(position, rows) for position, member in enumerate(by_recency)}
    frequency = {member: ntile(position, rows) for position, member in enumerate(by_frequency)}
    return [
        MemberScore(
            member_id=member,
            last_purchase=last[member],
            purchases=counts[member],
            revenue_minor=revenue[member],
            recency_score=recency[member],
            frequency_score=frequency[member],
            segment=segment_of(recency[member], frequency[member]),
        )
        for member in sorted(last)
    ]


def segments(
    history: Sequence[Purchase], partner_id: uuid.UUID | None, as_of: date, zone: ZoneInfo
) -> tuple[SegmentCount, ...]:
    """All ten segments in the contract's order, empty ones included.

    revenueShare is the segment's members' revenue over the 365 days divided by
    everyone's; 0.0 for every segment when those days had no revenue.
    """
    scores = member_scores(history, partner_id, as_of, zone)
    total = sum(score.revenue_minor for score in scores)
    members: dict[str, int] = defaultdict(int)
    revenue: dict[str, int] = defaultdict(int)
    for score in scores:
        members[score.segment] += 1
        revenue[score.segment] += score.revenue_minor
    return tuple(SegmentCount(name, members[name], revenue[name] / total if total > 0 else 0.0) for name in SEGMENTS)


LAPSED_MIN_PURCHASES = 3


def median_gap(days: Sequence[date]) -> Decimal:
    """The median of the day gaps between consecutive purchases (``days`` in order); the middle two's mean
    for an even number of gaps, as PostgreSQL's ``percentile_cont(0.5)``."""
    gaps = sorted((later - earlier).days for earlier, later in pairwise(days))
    middle = len(gaps) // 2
    if len(gaps) % 2:
        return Decimal(gaps[middle])
    return Decimal(gaps[middle - 1] + gaps[middle]) / 2


def lapsed(
    history: Sequence[Purchase], partner_id: uuid.UUID | None, as_of: date, zone: ZoneInfo
) -> list[LapsedMember]:
    """Members with at least three purchases up to ``as_of`` whose days since the last one exceed twice
    their own median gap.

    Gaps are in days between consecutive purchases' dates, every purchase
    counting (two on one day make a gap of 0). Most recently lapsed first (the
    likeliest to come back), then by member id.
    """
    days: dict[uuid.UUID, list[date]] = defaultdict(list)
    for purchase in at_shop(history, partner_id):
        day = purchase.date_in(zone)
        if day <= as_of:
            days[purchase.member_id].append(day)
    found = []
    for member, member_days in days.items():
        if len(member_days) < LAPSED_MIN_PURCHASES:
            continue
        member_days.sort()
        gap = median_gap(member_days)
        since = (as_of - member_days[-1]).days
        if since > 2 * gap:
            found.append(LapsedMember(member, len(member_days), member_days[-1], gap, since))
    found.sort(key=lambda row: (-row.last_purchase.toordinal(), row.member_id))
    return found
