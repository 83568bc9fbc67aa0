"""The contract's reports, read from the daily rollups: the arithmetic is the
pure modules' (kpis, cohorts, segments, cross_shop, baskets, enrolment), the
sums come from SQL. A shop's scope is its partner id; the coalition's is its
own id."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from coalition.insights import baskets, cross_shop, enrolment, kpis, segments
from coalition.insights.model import (
    BasketRule,
    CohortRow,
    CrossShopReport,
    CrossShopRow,
    KpiFigures,
    KpiReport,
    LapsedMember,
    PointsFigures,
    SegmentCount,
    ShopListing,
    WindowFigures,
)
from coalition.insights.ranges import DateRange, add_months, months_between
from coalition.insights.repositories import reports as sql
from coalition.platform.coalitions.repository import CoalitionRecord
from coalition.platform.errors import validation
from coalition.platform.runtime.database import Executor

MAX_LAPSED = 500


class Grain(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


@dataclass(frozen=True)
class KpiPoint:
    """One bucket of a KPI series: from ``start`` (the range's first day for the first bucket)."""

    start: date
    active_members: int
    purchases: int
    revenue_minor: int
    points_issued: int
    points_redeemed: int


@dataclass(frozen=True)
class BeforeAfterReport:
    window_days: int
    members: int
    before: WindowFigures
    after: WindowFigures
    redeemed_points: int
    redeemed_value_minor: int
    fees_minor: int
    cost_minor: int
    margin: Decimal | None
    roi: Decimal | None

    @property
    def extra_spend_minor(self) -> int:
        return self.after.spend_minor - self.before.spend_minor


def scope_of(coalition: CoalitionRecord, partner_id: uuid.UUID | None) -> uuid.UUID:
    return coalition.id if partner_id is None else partner_id


async def _figures(
    connection: Executor, coalition: CoalitionRecord, scope_id: uuid.UUID, dates: DateRange
) -> KpiFigures:
    row = await sql.kpi_sums(connection, scope_id, dates.first, dates.last)
    counts = kpis.PurchaseCounts(
        active_members=int(row.active),
        repeat_members=int(row.repeaters),
        new_members=int(row.new_members),
        purchases=int(row.purchases),
        revenue_minor=int(row.revenue),
    )
    points = PointsFigures(
        issued=int(row.issued), redeemed=int(row.redeemed), expired=int(row.expired), outstanding=int(row.outstanding)
    )
    return kpis.kpi_figures(dates, counts, points, coalition.point_value, coalition.currency)


async def kpi_report(
    connection: Executor, coalition: CoalitionRecord, partner_id: uuid.UUID | None, dates: DateRange
) -> KpiReport:
    scope_id = scope_of(coalition, partner_id)
    return KpiReport(
        period=await _figures(connection, coalition, scope_id, dates),
        previous=await _figures(connection, coalition, scope_id, dates.previous()),
    )


def _bucket_starts(dates: DateRange, grain: Grain) -> list[date]:
    if grain is Grain.DAY:
        return [dates.first + timedelta(days=n) for n in range(dates.days)]
    starts = [dates.first]
    if grain is Grain.WEEK:
        day = dates.first + timedelta(days=7 - dates.first.weekday())
        step = timedelta(days=7)
        while day <= dates.last:
            starts.append(day)
            day += step
    else:
        month = add_months(dates.first.replace(day=1), 1)
        while month <= dates.last:
            starts.append(month)
            month = add_months(month, 1)
    return starts


MAX_SERIES_POINTS = 400


async def kpi_series(
    connection: Executor, coalition: CoalitionRecord, partner_id: uuid.UUID | None, dates: DateRange, grain: Grain
) -> list[KpiPoint]:
    """One point per day, week (from Monday) or month of the range, empty ones included."""
    starts = _bucket_starts(dates, grain)
    if len(starts) > MAX_SERIES_POINTS:
        raise validation(f"at most {MAX_SERIES_POINTS} points: choose a longer grain", "grain")
    scope_id = scope_of(coalition, partner_id)
    buyers = {row.start: row for row in await sql.series(connection, scope_id, dates.first, dates.last, grain)}
    points = {row.start: row for row in await sql.series_points(connection, scope_id, dates.first, dates.last, grain)}
    answer = []
    for start in starts:
        bought, posted = buyers.get(start), points.get(start)
        answer.append(
            KpiPoint(
                start=start,
                active_members=int(bought.active) if bought else 0,
                purchases=int(bought.purchases) if bought else 0,
                revenue_minor=int(bought.revenue) if bought else 0,
                points_issued=int(posted.issued) if posted else 0,
                points_redeemed=int(posted.redeemed) if posted else 0,
            )
        )
    return answer


async def cohort_rows(
    connection: Executor, coalition: CoalitionRecord, partner_id: uuid.UUID | None, months: DateRange
) -> list[CohortRow]:
    """As ``coalition.insights.cohorts.cohorts``: a row per month with first purchases, retained to ``months.last``."""
    last_day = add_months(months.last, 1) - timedelta(days=1)
    rows = await sql.cohort_activity(connection, scope_of(coalition, partner_id), months.first, last_day)
    active: dict[date, dict[int, int]] = defaultdict(dict)
    for row in rows:
        active[row.month][months_between(row.month, row.active_month)] = int(row.members)
    answer = []
    for month in sorted(active):
        size = active[month].get(0, 0)
        if size == 0:
            continue
        span = months_between(month, months.last)
        answer.append(CohortRow(month, size, tuple(active[month].get(k, 0) / size for k in range(span + 1))))
    return answer


async def segment_counts(
    connection: Executor, coalition: CoalitionRecord, partner_id: uuid.UUID | None, as_of: date
) -> list[SegmentCount]:
    window = segments.segment_window(as_of)
    cells = await sql.segment_cells(connection, scope_of(coalition, partner_id), window.first, window.last)
    members: dict[str, int] = defaultdict(int)
    revenue: dict[str, int] = defaultdict(int)
    for cell in cells:
        name = segments.segment_of(int(cell.r), int(cell.f))
        members[name] += int(cell.members)
        revenue[name] += int(cell.revenue)
    total = sum(revenue.values())
    return [
        SegmentCount(name, members[name], revenue[name] / total if total > 0 else 0.0) for name in segments.SEGMENTS
    ]


async def lapsed_members(
    connection: Executor, coalition: CoalitionRecord, partner_id: uuid.UUID | None, as_of: date, first: int
) -> list[LapsedMember]:
    if not 0 <= first <= MAX_LAPSED:
        raise validation(f"first must be between 0 and {MAX_LAPSED}", "first")
    rows = await sql.lapsed(connection, scope_of(coalition, partner_id), as_of, first)
    return [
        LapsedMember(row.member_id, int(row.n), row.last, Decimal(repr(float(row.median))), int(row.since))
        for row in rows
    ]


async def cross_shop_report(
    connection: Executor, coalition: CoalitionRecord, partner_id: uuid.UUID, dates: DateRange
) -> CrossShopReport:
    """As ``coalition.insights.cross_shop.cross_shop``: only shops sharing at least ten members, named only
    when they agreed, else by kind; no revenue of another shop is read at all."""
    rows = await sql.cross_shop(
        connection, coalition.id, partner_id, dates.first, dates.last, cross_shop.MIN_SHARED_MEMBERS
    )
    ours = int(rows[0].ours) if rows else 0
    everyone = int(rows[0].everyone or 0) if rows else 0
    ranked = []
    for row in rows:
        if row.partner_id is None:
            continue
        listing = ShopListing(row.partner_id, row.name, row.kind or cross_shop.UNLISTED_KIND, row.named_in_insights)
        shared, theirs = int(row.shared), int(row.theirs)
        found = CrossShopRow(
            partner_id=row.partner_id if listing.agreed_to_be_named else None,
            label=listing.label,
            shared_members=shared,
            share=shared / ours,
            lift=(shared * everyone) / (ours * theirs),
        )
        ranked.append(((-found.shared_members, -found.lift, found.label, row.partner_id), found))
    ranked.sort(key=lambda item: item[0])
    return CrossShopReport(members=ours, rows=tuple(row for _, row in ranked))


async def basket_rules(
    connection: Executor,
    coalition: CoalitionRecord,
    partner_id: uuid.UUID | None,
    dates: DateRange,
    *,
    min_support: float,
    first: int,
) -> list[BasketRule]:
    """As ``coalition.insights.baskets.basket_rules``, from the rolled-up category and pair counts."""
    baskets.check_rule_arguments(min_support, first)
    receipts, having, pairs = await sql.basket_counts(connection, scope_of(coalition, partner_id), dates.first,
                                                      dates.last, least=1)  # fmt: skip
    ranked = []
    for pair in pairs:
        both = int(pair.receipts)
        if both / receipts < min_support:
            continue
        for antecedent, consequent in ((pair.first_category, pair.second_category),
                                       (pair.second_category, pair.first_category)):  # fmt: skip
            rule = BasketRule(
                antecedent=antecedent,
                consequent=consequent,
                receipts=both,
                support=both / receipts,
                confidence=both / having[antecedent],
                lift=(both * receipts) / (having[antecedent] * having[consequent]),
            )
            lift = baskets.rounded_lift(both, receipts, having[antecedent], having[consequent])
            ranked.append(((-lift, -both, antecedent, consequent), rule))
    ranked.sort(key=lambda item: item[0])
    return [rule for _, rule in ranked[:first]]


async def before_after(
    connection: Executor,
    coalition: CoalitionRecord,
    partner_id: uuid.UUID,
    margin: Decimal | None,
    window_days: int,
    as_of: date,
) -> BeforeAfterReport:
    """As ``coalition.insights.enrolment.before_after`` for the shop's members whose windows have ended by
    ``as_of``; the cost is the value of the points those members redeemed at the shop in their after-windows
    plus the settlement fees the shop paid on the settled (approved or paid) business days of those windows."""
    if not 1 <= window_days <= enrolment.MAX_WINDOW_DAYS:
        raise validation(f"the window must be 1 to {enrolment.MAX_WINDOW_DAYS} days", "windowDays")
    row = await sql.before_after(connection, coalition.id, partner_id, coalition.timezone, window_days, as_of)
    redeemed = int(row.redeemed_points or 0)
    redeemed_value = kpis.points_value_minor(redeemed, coalition.point_value, coalition.currency)
    fees = int(row.fees_minor or 0)
    cost = enrolment.programme_cost_minor(redeemed_value, fees)
    before = WindowFigures(int(row.before_spend), int(row.before_visits))
    after = WindowFigures(int(row.after_spend), int(row.after_visits))
    roi = None if margin is None else enrolment.programme_roi(after.spend_minor - before.spend_minor, margin, cost)
    return BeforeAfterReport(
        window_days, int(row.members), before, after, redeemed, redeemed_value, fees, cost, margin, roi
    )
