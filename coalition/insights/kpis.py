"""KPI figures of a range and of the range of the same length just before it.

Two steps, so the SQL version can reuse the second: ``count_purchases`` sums
what the receipts say (members, purchases, revenue), and ``kpi_figures``
derives the ratios and money from those sums and the ledger's points figures.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from zoneinfo import ZoneInfo

from coalition.platform.money import exponent

from .model import KpiFigures, KpiReport, PointsFigures, Purchase, divide_to_minor
from .ranges import DateRange, at_shop, first_purchase_dates


@dataclass(frozen=True)
class PurchaseCounts:
    """What the receipts of one range say, before any ratio is taken."""

    active_members: int = 0
    repeat_members: int = 0  # active members with at least two purchases in the range
    new_members: int = 0
    purchases: int = 0
    revenue_minor: int = 0


def count_purchases(
    history: Sequence[Purchase], partner_id: uuid.UUID | None, dates: DateRange, zone: ZoneInfo
) -> PurchaseCounts:
    """The range's counts at one shop (``partner_id``) or across the coalition (None).

    ``history`` must hold every purchase up to the range's end, not only the
    range's: a *new* member is one whose first purchase ever (at this shop, or
    anywhere for the coalition) falls in the range.
    """
    scoped = list(at_shop(history, partner_id))
    in_range = [purchase for purchase in scoped if purchase.date_in(zone) in dates]
    per_member = Counter(purchase.member_id for purchase in in_range)
    firsts = first_purchase_dates(scoped, zone)
    return PurchaseCounts(
        active_members=len(per_member),
        repeat_members=sum(1 for count in per_member.values() if count >= 2),
        new_members=sum(1 for first in firsts.values() if first in dates),
        purchases=len(in_range),
        revenue_minor=sum(purchase.value_minor for purchase in in_range),
    )


def ratio(numerator: int, denominator: int) -> float | None:
    """numerator / denominator as a float, None when the denominator is not positive.

    Both are integers and the division is done once, so PostgreSQL's
    ``numerator::float8 / denominator`` gives the very same float.
    """
    return numerator / denominator if denominator > 0 else None


def points_value_minor(points: int, point_value: Decimal, currency: str) -> int:
    """``points`` at ``point_value`` (money per point, in major units), rounded half-even to a minor unit."""
    minor = Decimal(points) * point_value.scaleb(exponent(currency))
    return int(minor.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def kpi_figures(
    dates: DateRange, counts: PurchaseCounts, points: PointsFigures, point_value: Decimal, currency: str
) -> KpiFigures:
    """The contract's figures from the range's sums.

    averageOrderValue is rounded half-even to the minor unit. redemptionRate is
    null when nothing was issued, also when earn reversals outweighed the
    range's earns (a rate over a negative issue means nothing).
    """
    return KpiFigures(
        from_=dates.first,
        to=dates.last,
        active_members=counts.active_members,
        new_members=counts.new_members,
        purchases=counts.purchases,
        revenue_minor=counts.revenue_minor,
        average_order_value_minor=(
            divide_to_minor(counts.revenue_minor, counts.purchases) if counts.purchases else None
        ),
        purchase_frequency=ratio(counts.purchases, counts.active_members),
        repeat_rate=ratio(counts.repeat_members, counts.active_members),
        points_issued=points.issued,
        points_redeemed=points.redeemed,
        points_expired=points.expired,
        redemption_rate=ratio(points.redeemed, points.issued),
        outstanding_points=points.outstanding,
        outstanding_liability_minor=points_value_minor(points.outstanding, point_value, currency),
    )


def kpis(
    history: Sequence[Purchase],
    partner_id: uuid.UUID | None,
    dates: DateRange,
    zone: ZoneInfo,
    *,
    points: PointsFigures,
    previous_points: PointsFigures,
    point_value: Decimal,
    currency: str,
) -> KpiReport:
    """The range's figures and the previous range's (same number of days, ending the day before).

    ``points`` and ``previous_points`` come from the ledger for each range.
    """
    previous = dates.previous()
    return KpiReport(
        period=kpi_figures(dates, count_purchases(history, partner_id, dates, zone), points, point_value, currency),
        previous=kpi_figures(
            previous, count_purchases(history, partner_id, previous, zone), previous_points, point_value, currency
        ),
    )
