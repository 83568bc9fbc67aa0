"""The insights queries: authorise the scope, check the range, read the report.

A shop reads its own figures, the operator any shop's and the coalition's,
members none; every refusal is the same FORBIDDEN error
(``permissions.insights_refused``), every bad argument a VALIDATION error
naming it."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry
from strawberry.types import Info

from coalition.graphql.context import Context
from coalition.graphql.insights.types import (
    BasketRule,
    BeforeAfterReport,
    CohortRow,
    CohortTable,
    CrossShopReport,
    KpiFigures,
    KpiPoint,
    KpiReport,
    LapsedMember,
    SegmentCount,
    SeriesGrain,
)
from coalition.graphql.permissions import insights_scope
from coalition.insights import reports
from coalition.insights.cohorts import cohort_months
from coalition.insights.ranges import DateRange

From = Annotated[date, strawberry.argument(name="from")]


@strawberry.type
class InsightQueries:
    @strawberry.field(description="KPI figures of a range and of the range of as many days just before it.")
    async def kpis(
        self, info: Info[Context, None], from_: From, to: date, partner_id: strawberry.ID | None = None
    ) -> KpiReport | None:
        scope = await insights_scope(info.context, partner_id)
        dates = DateRange.checked(from_, to)
        coalition = await info.context.coalition()
        async with info.context.services.reads.connect() as connection:
            report = await reports.kpi_report(connection, coalition, scope, dates)
        return KpiReport(
            period=KpiFigures.of(report.period, coalition.currency),
            previous=KpiFigures.of(report.previous, coalition.currency),
        )

    @strawberry.field(description="Members, purchases, revenue and points per day, week or month of a range.")
    async def kpi_series(
        self,
        info: Info[Context, None],
        from_: From,
        to: date,
        partner_id: strawberry.ID | None = None,
        grain: SeriesGrain = SeriesGrain.DAY,
    ) -> list[KpiPoint] | None:
        scope = await insights_scope(info.context, partner_id)
        dates = DateRange.checked(from_, to)
        coalition = await info.context.coalition()
        async with info.context.services.reads.connect() as connection:
            points = await reports.kpi_series(connection, coalition, scope, dates, reports.Grain(grain.value))
        return [KpiPoint.of(point, coalition.currency) for point in points]

    @strawberry.field(description="Retention of members by the month of their first purchase.")
    async def cohorts(
        self, info: Info[Context, None], from_month: date, to_month: date, partner_id: strawberry.ID | None = None
    ) -> CohortTable | None:
        scope = await insights_scope(info.context, partner_id)
        months = cohort_months(from_month, to_month)
        coalition = await info.context.coalition()
        async with info.context.services.reads.connect() as connection:
            rows = await reports.cohort_rows(connection, coalition, scope, months)
        return CohortTable(
            rows=[CohortRow(month=row.month, size=row.size, retained=list(row.retained)) for row in rows]
        )

    @strawberry.field(description="Members per recency-frequency segment over the 365 days to asOf.")
    async def segments(
        self, info: Info[Context, None], as_of: date, partner_id: strawberry.ID | None = None
    ) -> list[SegmentCount] | None:
        scope = await insights_scope(info.context, partner_id)
        coalition = await info.context.coalition()
        async with info.context.services.reads.connect() as connection:
            counts = await reports.segment_counts(connection, coalition, scope, as_of)
        return [SegmentCount(segment=c.segment, members=c.members, revenue_share=c.revenue_share) for c in counts]

    @strawberry.field(
        description="Members with at least three purchases whose time since the last one (to asOf) is over twice "
        "their own median gap; most recently lapsed first."
    )
    async def lapsed_members(
        self, info: Info[Context, None], as_of: date, partner_id: strawberry.ID | None = None, first: int = 50
    ) -> list[LapsedMember] | None:
        scope = await insights_scope(info.context, partner_id)
        coalition = await info.context.coalition()
        async with info.context.services.reads.connect() as connection:
            found = await reports.lapsed_members(connection, coalition, scope, as_of, first)
        return [
            LapsedMember(
                purchases=row.purchases,
                last_purchase=row.last_purchase,
                median_gap_days=float(row.median_gap_days),
                days_since_last=row.days_since_last,
                member_id=row.member_id,
            )
            for row in found
        ]

    @strawberry.field(description="Where a shop's members also buy. No figure is shown for fewer than 10 members.")
    async def cross_shop(
        self, info: Info[Context, None], partner_id: strawberry.ID, from_: From, to: date
    ) -> CrossShopReport | None:
        scope = await insights_scope(info.context, partner_id, shop_required=True)
        assert scope is not None
        dates = DateRange.checked(from_, to)
        coalition = await info.context.coalition()
        async with info.context.services.reads.connect() as connection:
            report = await reports.cross_shop_report(connection, coalition, scope, dates)
        return CrossShopReport.of(report)

    @strawberry.field(description="Which line categories are bought together on one receipt.")
    async def basket_rules(
        self,
        info: Info[Context, None],
        from_: From,
        to: date,
        partner_id: strawberry.ID | None = None,
        min_support: float = 0.01,
        first: int = 20,
    ) -> list[BasketRule] | None:
        scope = await insights_scope(info.context, partner_id)
        dates = DateRange.checked(from_, to)
        coalition = await info.context.coalition()
        async with info.context.services.reads.connect() as connection:
            rules = await reports.basket_rules(connection, coalition, scope, dates, min_support=min_support,
                                               first=first)  # fmt: skip
        return [
            BasketRule(
                antecedent=r.antecedent,
                consequent=r.consequent,
                receipts=r.receipts,
                support=r.support,
                confidence=r.confidence,
                lift=r.lift,
            )
            for r in rules
        ]

    @strawberry.field(description="A shop's members before and after joining, and the programme's ROI.")
    async def before_after(
        self, info: Info[Context, None], partner_id: strawberry.ID, as_of: date, window_days: int = 90
    ) -> BeforeAfterReport | None:
        scope = await insights_scope(info.context, partner_id, shop_required=True)
        assert scope is not None
        coalition = await info.context.coalition()
        partner = await info.context.partners.load(scope)
        margin = partner.margin if partner else None
        async with info.context.services.reads.connect() as connection:
            report = await reports.before_after(connection, coalition, scope, margin, window_days, as_of)
        return BeforeAfterReport.of(report, coalition.currency)
