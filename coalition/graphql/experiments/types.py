"""GraphQL types of a campaign aimed at an audience: who it is aimed at, the
holdout drawn when it starts, and the experiment report treatment against
holdout. Their own package, so the campaign's type and the insights'
statistics meet without an import cycle."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal

import strawberry
from strawberry.types import Info

from coalition.graphql.common import Money
from coalition.graphql.context import Context
from coalition.insights import campaign_experiments
from coalition.insights.experiments import ArmSummary, Difference, SampleRatioCheck
from coalition.insights.experiments import Verdict as VerdictValue
from coalition.partners.earning import model as partner_rules
from coalition.platform.money import to_major

AudienceKind = strawberry.enum(partner_rules.AudienceKind, name="AudienceKind")
Verdict = strawberry.enum(VerdictValue, name="ExperimentVerdict")


@strawberry.input(description="Aim a campaign at a segment (as of its start) or the lapsed list, with a holdout.")
class CampaignAudienceInput:
    kind: AudienceKind  # type: ignore[valid-type]
    segment: str | None = strawberry.field(
        default=None,
        description="For SEGMENT: Champions, Loyal, Potential loyalists, New, Promising, Need attention, "
        "About to sleep, At risk, Can't lose, Hibernating.",
    )
    holdout_share: Decimal | None = strawberry.field(
        default=None, description="0.01 to 0.5: the share of the audience drawn at random not to get it."
    )

    def audience(self) -> partner_rules.Audience:
        return partner_rules.Audience(self.kind, self.segment, self.holdout_share)


@strawberry.type(description="Who a campaign is aimed at; only the shop running it and the operator see it.")
class CampaignAudience:
    kind: AudienceKind  # type: ignore[valid-type]
    segment: str | None
    holdout_share: Decimal | None
    drawn_at: datetime | None = strawberry.field(description="When the audience was drawn; null before the start.")
    treatment_members: int
    holdout_members: int

    @classmethod
    async def load(
        cls, info: Info[Context, None], campaign_id: uuid.UUID, audience: partner_rules.Audience
    ) -> CampaignAudience:
        async with info.context.services.engine.connect() as connection:
            draw = await campaign_experiments.drawn(connection, campaign_id)
        return cls.of(audience, draw)

    @classmethod
    def of(cls, audience: partner_rules.Audience, draw: campaign_experiments.Draw) -> CampaignAudience:
        return cls(
            kind=audience.kind,
            segment=audience.segment,
            holdout_share=audience.holdout_share,
            drawn_at=draw.drawn_at,
            treatment_members=draw.treatment,
            holdout_members=draw.holdout,
        )


@strawberry.type
class ExperimentArm:
    members: int
    purchasers: int = strawberry.field(description="Members with at least one purchase over the campaign.")
    purchase_rate: float | None = strawberry.field(description="purchasers / members; null with no members.")
    spend: Money
    spend_per_member: Money | None = strawberry.field(description="spend / members; null with no members.")

    @classmethod
    def of(cls, arm: ArmSummary, currency: str) -> ExperimentArm:
        per_member = arm.spend_per_member_minor
        return cls(
            members=arm.members,
            purchasers=arm.purchasers,
            purchase_rate=arm.purchase_rate,
            spend=Money.of_minor(arm.spend_minor, currency),
            spend_per_member=Money.of_minor(per_member, currency) if per_member is not None else None,
        )


@strawberry.type(description="Treatment minus holdout in purchase rate, with a 95% interval (two-proportion test).")
class RateDifference:
    estimate: float
    low: float
    high: float
    p_value: float

    @classmethod
    def of(cls, difference: Difference | None) -> RateDifference | None:
        if difference is None:
            return None
        return cls(estimate=difference.estimate, low=difference.low, high=difference.high, p_value=difference.p_value)


def _money(minor: float, currency: str) -> Money:
    rounded = int(Decimal(repr(minor)).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
    return Money(amount=to_major(rounded, currency), currency=currency)


@strawberry.type(
    description="Treatment minus holdout in spend per member, with a 95% interval (Welch's t-test); "
    "amounts rounded to the currency's minor unit."
)
class SpendDifference:
    estimate: Money
    low: Money
    high: Money
    p_value: float

    @classmethod
    def of(cls, difference: Difference | None, currency: str) -> SpendDifference | None:
        if difference is None:
            return None
        return cls(
            estimate=_money(difference.estimate, currency),
            low=_money(difference.low, currency),
            high=_money(difference.high, currency),
            p_value=difference.p_value,
        )


@strawberry.type(description="The arms' sizes against the planned split (chi-square); a mismatch voids every verdict.")
class SampleRatio:
    planned_holdout_share: Decimal
    observed_holdout_share: float
    p_value: float
    mismatch: bool

    @classmethod
    def of(cls, check: SampleRatioCheck | None) -> SampleRatio | None:
        if check is None:
            return None
        return cls(
            planned_holdout_share=check.planned_holdout_share,
            observed_holdout_share=check.observed_holdout_share,
            p_value=check.p_value,
            mismatch=check.mismatch,
        )


@strawberry.type(
    description="How members who got the campaign did against the holdout that did not, over the campaign "
    "(at its shop; for a coalition-wide campaign, anywhere). Below minimumMembersPerArm, or with fewer than five "
    "buyers and five non-buyers per arm for the purchase rate, the verdict is NOT_ENOUGH_DATA instead of a winner."
)
class ExperimentReport:
    measured_from: datetime
    measured_to: datetime
    final: bool = strawberry.field(description="The campaign has ended: these are its final figures.")
    minimum_members_per_arm: int
    treatment: ExperimentArm
    holdout: ExperimentArm
    purchase_rate_difference: RateDifference | None
    purchase_rate_verdict: Verdict  # type: ignore[valid-type]
    spend_per_member_difference: SpendDifference | None
    spend_verdict: Verdict  # type: ignore[valid-type]
    sample_ratio: SampleRatio | None

    @classmethod
    async def load(cls, info: Info[Context, None], campaign_id: uuid.UUID) -> ExperimentReport | None:
        async with info.context.services.engine.connect() as connection:
            report = await campaign_experiments.report(connection, campaign_id, datetime.now(UTC))
        if report is None:
            return None
        return cls.of(report, (await info.context.coalition()).currency)

    @classmethod
    def of(cls, report: campaign_experiments.ExperimentReport, currency: str) -> ExperimentReport:
        result = report.result
        return cls(
            measured_from=report.measured_from,
            measured_to=report.measured_to,
            final=report.final,
            minimum_members_per_arm=report.min_members_per_arm,
            treatment=ExperimentArm.of(result.treatment, currency),
            holdout=ExperimentArm.of(result.holdout, currency),
            purchase_rate_difference=RateDifference.of(result.purchase_rate),
            purchase_rate_verdict=result.purchase_rate_verdict,
            spend_per_member_difference=SpendDifference.of(result.spend_per_member, currency),
            spend_verdict=result.spend_verdict,
            sample_ratio=SampleRatio.of(result.sample_ratio),
        )
