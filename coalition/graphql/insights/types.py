"""The insights contract's types (``shared/api/insights.graphql``), and a few more."""

from __future__ import annotations

import uuid
from datetime import date
from enum import Enum

import strawberry
from strawberry.types import Info

from coalition.graphql.common import Money
from coalition.graphql.context import Context
from coalition.graphql.members.types import Member
from coalition.graphql.partners.types import Partner, load_partner
from coalition.insights import model
from coalition.insights import reports as insight_reports


@strawberry.type
class KpiFigures:
    from_: date = strawberry.field(name="from")
    to: date
    active_members: int = strawberry.field(description="Distinct members with at least one purchase in the range.")
    new_members: int = strawberry.field(
        description="Members whose first purchase ever (at this shop; with no partnerId, anywhere) is in the range."
    )
    purchases: int
    revenue: Money = strawberry.field(description="Sum of purchase values.")
    average_order_value: Money | None = strawberry.field(
        description="revenue / purchases; null when there are no purchases."
    )
    purchase_frequency: float | None = strawberry.field(
        description="purchases / activeMembers; null when there are none."
    )
    repeat_rate: float | None = strawberry.field(
        description="Members with at least two purchases in the range / activeMembers; null when there are none."
    )
    points_issued: int = strawberry.field(
        description="Points put into wallets by earns in the range (net of earn reversals), by posting business date."
    )
    points_redeemed: int = strawberry.field(
        description="Points spent at this shop (with no partnerId: anywhere) in the range, net of redemption reversals."
    )
    points_expired: int
    redemption_rate: float | None = strawberry.field(
        description="pointsRedeemed / pointsIssued; null when nothing was issued."
    )
    outstanding_points: int = strawberry.field(
        description="Points issued by this shop (with no partnerId: by anyone) still in wallets at the end of `to`."
    )
    outstanding_liability: Money = strawberry.field(description="outstandingPoints at the coalition's point value.")

    @classmethod
    def of(cls, figures: model.KpiFigures, currency: str) -> KpiFigures:
        aov = figures.average_order_value_minor
        return cls(
            from_=figures.from_,
            to=figures.to,
            active_members=figures.active_members,
            new_members=figures.new_members,
            purchases=figures.purchases,
            revenue=Money.of_minor(figures.revenue_minor, currency),
            average_order_value=None if aov is None else Money.of_minor(aov, currency),
            purchase_frequency=figures.purchase_frequency,
            repeat_rate=figures.repeat_rate,
            points_issued=figures.points_issued,
            points_redeemed=figures.points_redeemed,
            points_expired=figures.points_expired,
            redemption_rate=figures.redemption_rate,
            outstanding_points=figures.outstanding_points,
            outstanding_liability=Money.of_minor(figures.outstanding_liability_minor, currency),
        )


@strawberry.type
class KpiReport:
    period: KpiFigures
    previous: KpiFigures = strawberry.field(
        description="The range of the same number of days that ends the day before `from`."
    )


@strawberry.enum
class SeriesGrain(Enum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


@strawberry.type(description="One bucket of a KPI series.")
class KpiPoint:
    start: date = strawberry.field(
        description="The bucket's first day (a week from Monday, a month from the 1st; the first bucket from `from`)."
    )
    active_members: int
    purchases: int
    revenue: Money
    points_issued: int
    points_redeemed: int

    @classmethod
    def of(cls, point: insight_reports.KpiPoint, currency: str) -> KpiPoint:
        return cls(
            start=point.start,
            active_members=point.active_members,
            purchases=point.purchases,
            revenue=Money.of_minor(point.revenue_minor, currency),
            points_issued=point.points_issued,
            points_redeemed=point.points_redeemed,
        )


@strawberry.type(
    description="Members grouped by the month of their first purchase (at this shop; with no partnerId, anywhere)."
)
class CohortRow:
    month: date = strawberry.field(description="First day of the cohort's month.")
    size: int
    retained: list[float] = strawberry.field(
        description="retained[k]: share of the cohort with at least one purchase (at this shop / anywhere) in "
        "month + k. retained[0] is 1.0. The list runs up to `toMonth`."
    )


@strawberry.type
class CohortTable:
    rows: list[CohortRow]


@strawberry.type(description="Recency-frequency-monetary segments as of a date, over the 365 days that end on it.")
class SegmentCount:
    segment: str = strawberry.field(
        description="Champions, Loyal, Potential loyalists, New, Promising, Need attention, About to sleep, "
        "At risk, Can't lose, Hibernating."
    )
    members: int
    revenue_share: float = strawberry.field(description="This segment's share of the revenue of those 365 days.")


@strawberry.type
class CrossShopRow:
    label: str
    shared_members: int = strawberry.field(description="This shop's active members who also bought there in the range.")
    share: float = strawberry.field(description="sharedMembers / members.")
    lift: float = strawberry.field(
        description="P(both) / (P(this) * P(that)) over the coalition's active members in the range."
    )
    partner_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field(
        description="The other shop, when it agreed to be named; otherwise null and `label` is its kind of shop."
    )
    async def partner(self, info: Info[Context, None]) -> Partner | None:
        return await load_partner(info, self.partner_id)


@strawberry.type(description="Where a shop's members also buy. No figure is shown for fewer than 10 members.")
class CrossShopReport:
    members: int = strawberry.field(description="Active members of this shop in the range.")
    rows: list[CrossShopRow]

    @classmethod
    def of(cls, report: model.CrossShopReport) -> CrossShopReport:
        return cls(
            members=report.members,
            rows=[
                CrossShopRow(
                    label=row.label,
                    shared_members=row.shared_members,
                    share=row.share,
                    lift=row.lift,
                    partner_id=row.partner_id,
                )
                for row in report.rows
            ],
        )


@strawberry.type(
    description="A -> C over the receipts of the range (at this shop; with no partnerId, all), by line category."
)
class BasketRule:
    antecedent: str
    consequent: str
    receipts: int
    support: float
    confidence: float
    lift: float


@strawberry.type(
    description="A member to win back: at least three purchases, and quiet for over twice their usual gap."
)
class LapsedMember:
    purchases: int
    last_purchase: date
    median_gap_days: float = strawberry.field(description="The median of the days between their purchases.")
    days_since_last: int
    member_id: strawberry.Private[uuid.UUID]

    @strawberry.field
    async def member(self, info: Info[Context, None]) -> Member | None:
        record = await info.context.members.load(self.member_id)
        return None if record is None else Member.of(record)


@strawberry.type(description="What the counted members spent and how often they came in one window.")
class EnrolmentWindow:
    spend: Money
    visits: int
    spend_per_member: Money | None
    visits_per_member: float | None


@strawberry.type(
    description="A shop's members before and after joining, in equal windows, counting only members with purchases "
    "at the shop in both; and what the programme returned for its cost."
)
class BeforeAfterReport:
    window_days: int
    members: int
    before: EnrolmentWindow
    after: EnrolmentWindow
    extra_spend: Money = strawberry.field(description="after.spend - before.spend.")
    redeemed_points: int = strawberry.field(
        description="Points the counted members redeemed at the shop in their after-windows."
    )
    redeemed_value: Money = strawberry.field(description="Those points at the coalition's point value.")
    fees: Money = strawberry.field(
        description="Settlement fees the shop paid on the settled (approved or paid) business days of the counted "
        "members' after-windows, each day once."
    )
    cost: Money = strawberry.field(description="redeemedValue + fees: what the programme cost the shop.")
    roi: float | None = strawberry.field(
        description="(extraSpend x the shop's margin - cost) / cost; null without a margin or a cost."
    )

    @classmethod
    def of(cls, report: insight_reports.BeforeAfterReport, currency: str) -> BeforeAfterReport:
        def window(figures: model.WindowFigures) -> EnrolmentWindow:
            per_member = figures.spend_per_member_minor(report.members)
            return EnrolmentWindow(
                spend=Money.of_minor(figures.spend_minor, currency),
                visits=figures.visits,
                spend_per_member=None if per_member is None else Money.of_minor(per_member, currency),
                visits_per_member=figures.visits_per_member(report.members),
            )

        return cls(
            window_days=report.window_days,
            members=report.members,
            before=window(report.before),
            after=window(report.after),
            extra_spend=Money.of_minor(report.extra_spend_minor, currency),
            redeemed_points=report.redeemed_points,
            redeemed_value=Money.of_minor(report.redeemed_value_minor, currency),
            fees=Money.of_minor(report.fees_minor, currency),
            cost=Money.of_minor(report.cost_minor, currency),
            roi=None if report.roi is None else float(report.roi),
        )
