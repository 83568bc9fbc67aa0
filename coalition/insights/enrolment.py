"""Before and after joining: what members spent at a shop in equal windows around their enrolment,
and what the programme returned for what it cost."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from zoneinfo import ZoneInfo

from coalition.platform.errors import validation

from .model import BeforeAfter, Purchase, WindowFigures
from .ranges import DateRange, at_shop

MAX_WINDOW_DAYS = 366
ROI_PLACES = Decimal("0.0001")


def enrolment_windows(enrolled_on: date, window_days: int) -> tuple[DateRange, DateRange]:
    """The ``window_days`` before the enrolment date, and as many from it on (the enrolment day is after:
    a member usually joins at the till, during the first purchase the programme can claim)."""
    before = DateRange(enrolled_on - timedelta(days=window_days), enrolled_on - timedelta(days=1))
    return before, DateRange(enrolled_on, enrolled_on + timedelta(days=window_days - 1))


def before_after(
    history: Sequence[Purchase],
    partner_id: uuid.UUID,
    enrolled_on: Mapping[uuid.UUID, date],
    window_days: int,
    as_of: date,
    zone: ZoneInfo,
) -> BeforeAfter:
    """Spend and visits at the shop in the window before and the window after each member's enrolment.

    A member counts only when their after-window has ended by ``as_of`` (a
    window still running would understate "after") and they bought at the
    shop in both windows (imported history is what makes "before" exist).
    Visits are purchases; spend is the sum of their values.
    """
    if not 1 <= window_days <= MAX_WINDOW_DAYS:
        raise validation(f"the window must be 1 to {MAX_WINDOW_DAYS} days", "windowDays")
    windows = {
        member: enrolment_windows(day, window_days)
        for member, day in enrolled_on.items()
        if day + timedelta(days=window_days - 1) <= as_of
    }
    spend: dict[tuple[uuid.UUID, bool], int] = defaultdict(int)
    visits: dict[tuple[uuid.UUID, bool], int] = defaultdict(int)
    for purchase in at_shop(history, partner_id):
        member_windows = windows.get(purchase.member_id)
        if member_windows is None:
            continue
        day = purchase.date_in(zone)
        for is_after, window in enumerate(member_windows):
            if day in window:
                spend[purchase.member_id, bool(is_after)] += purchase.value_minor
                visits[purchase.member_id, bool(is_after)] += 1
    counted = frozenset(member for member in windows if visits[member, False] and visits[member, True])
    return BeforeAfter(
        window_days=window_days,
        members=len(counted),
        before=WindowFigures(
            spend_minor=sum(spend[member, False] for member in counted),
            visits=sum(visits[member, False] for member in counted),
        ),
        after=WindowFigures(
            spend_minor=sum(spend[member, True] for member in counted),
            visits=sum(visits[member, True] for member in counted),
        ),
        member_ids=counted,
    )


def programme_cost_minor(redeemed_value_minor: int, fees_minor: int) -> int:
    """What the programme cost the shop: the value of the points its counted members redeemed there, plus the
    settlement fees the shop paid on the settled business days of those members' after-windows."""
    return redeemed_value_minor + fees_minor


def programme_roi(extra_spend_minor: int, margin: Decimal, cost_minor: int) -> Decimal | None:
    """(extra margin - cost) / cost, rounded half-even to 4 decimals; None when nothing was spent on it.

    The extra margin is the extra spend times the shop's margin (a fraction,
    e.g. 0.30); the cost is what the points redeemed and the fees cost the
    shop over the same windows (``programme_cost_minor``), in minor units.
    """
    if not 0 <= margin <= 1:
        raise validation("the margin must be between 0 and 1", "margin")
    if cost_minor <= 0:
        return None
    extra_margin = Decimal(extra_spend_minor) * margin
    return ((extra_margin - cost_minor) / cost_minor).quantize(ROI_PLACES, rounding=ROUND_HALF_EVEN)
