"""What the programme's mutations take: partners' earn rules, campaigns,
stamp cards and rewards; the coalition-wide rules; charities, invites; members'
purchases, gifts and transfers."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry

from coalition.graphql.experiments.types import CampaignAudienceInput
from coalition.graphql.partners.types import CampaignKind, ChallengeFunding, ChallengePeriod, RewardKind
from coalition.graphql.programme.types import BirthdayPeriod, EnrolmentMode, TierBasis
from coalition.partners.earning import model as partner_rules
from coalition.platform.programme import rules as coalition_rules


@strawberry.input
class CategoryRateInput:
    category: str
    rate: Decimal


@strawberry.input
class SpendThresholdInput:
    min_spend: Decimal
    points: int


@strawberry.input
class EarnRulesInput:
    base_rate: Decimal = strawberry.field(description="Points per 1.00 spent.")
    category_rates: list[CategoryRateInput] = strawberry.field(default_factory=list)
    thresholds: list[SpendThresholdInput] = strawberry.field(default_factory=list)
    max_points_per_transaction: int | None = None


def earn_rules_of(data: EarnRulesInput) -> partner_rules.EarnRules:
    return partner_rules.EarnRules(
        base_rate=data.base_rate,
        category_rates=tuple(partner_rules.CategoryRate(c.category, c.rate) for c in data.category_rates),
        thresholds=tuple(partner_rules.Threshold(t.min_spend, t.points) for t in data.thresholds),
        max_points_per_transaction=data.max_points_per_transaction,
    )


@strawberry.input
class CampaignInput:
    name: str
    kind: CampaignKind  # type: ignore[valid-type]
    starts_at: datetime
    ends_at: datetime
    partner_id: strawberry.ID | None = strawberry.field(
        default=None, description="Operator: omit for a coalition-wide campaign, funded by the coalition."
    )
    multiplier: Decimal | None = None
    bonus_points: int | None = None
    reward_id: strawberry.ID | None = None
    categories: list[str] = strawberry.field(default_factory=list)
    tiers: list[str] = strawberry.field(default_factory=list)
    min_spend: Decimal | None = None
    audience: CampaignAudienceInput | None = strawberry.field(
        default=None, description="Omit for every member; the audience is drawn when the campaign starts."
    )


@strawberry.input
class ChallengeInput:
    name: str
    distinct_partners: int
    period: ChallengePeriod  # type: ignore[valid-type]
    bonus_points: int
    funding: ChallengeFunding  # type: ignore[valid-type]
    starts_at: datetime
    ends_at: datetime
    partner_ids: list[strawberry.ID] = strawberry.field(default_factory=list)


@strawberry.input
class StampCardInput:
    name: str
    stamps_required: int
    reward_id: strawberry.ID
    categories: list[str] = strawberry.field(default_factory=list)
    min_spend: Decimal = Decimal(0)


@strawberry.input
class RewardInput:
    name: str
    kind: RewardKind
    valid_days: int
    points_cost: int | None = None
    value: Decimal | None = None
    active: bool = True


@strawberry.input
class TierInput:
    code: str
    name: str
    threshold: int
    multiplier: Decimal = Decimal(1)
    benefits: list[str] = strawberry.field(default_factory=list)


@strawberry.input
class LimitsInput:
    min_earn_rate: Decimal = Decimal(0)
    max_earn_rate: Decimal = Decimal(100)
    max_points_per_transaction: int | None = None
    max_points_per_member_per_day: int | None = None


@strawberry.input
class BonusesInput:
    signup: int = 0
    birthday: int = 0
    birthday_period: BirthdayPeriod = coalition_rules.BirthdayPeriod.MONTH  # type: ignore[valid-type]
    referrer: int = 0
    referee: int = 0
    referral_min_purchase: Decimal = Decimal(0)


@strawberry.input
class TierPolicyInput:
    basis: TierBasis = coalition_rules.TierBasis.POINTS  # type: ignore[valid-type]
    window_days: int = 365
    retention_days: int = 30
    tiers: list[TierInput] = strawberry.field(default_factory=list)


@strawberry.input
class TransfersInput:
    enabled: bool = False
    max_points_per_transfer: int = 10_000
    max_points_per_day: int = 20_000


@strawberry.input
class DonationMatchingInput:
    percent: int = 0
    max_points_per_donation: int | None = None


@strawberry.input(description="Sections left out keep their current settings.")
class CoalitionRulesInput:
    limits: LimitsInput | None = None
    bonuses: BonusesInput | None = None
    tiers: TierPolicyInput | None = None
    enrolment_mode: EnrolmentMode | None = None  # type: ignore[valid-type]
    transfers: TransfersInput | None = None
    donation_matching: DonationMatchingInput | None = None
    language: str | None = None


@strawberry.input
class CharityInput:
    name: str
    description: str | None = None
    active: bool = True


@strawberry.input
class InviteInput:
    max_uses: int = 1
    expires_at: datetime | None = None
    label: str | None = None


@strawberry.input
class BuyRewardInput:
    idempotency_key: str
    reward_id: strawberry.ID


@strawberry.input
class UseCouponInput:
    code: str
    receipt_ref: str | None = None


@strawberry.input
class DonatePointsInput:
    idempotency_key: str
    charity_id: strawberry.ID
    points: int


@strawberry.input
class TransferPointsInput:
    idempotency_key: str
    to_card_number: str
    points: int


@strawberry.input(description="A line of a sample basket: what part of the amount is in a category.")
class SampleLineInput:
    category: str
    amount: Decimal


@strawberry.input(description="A sample basket, earned under rules still being edited.")
class EarnPreviewInput:
    rules: EarnRulesInput
    amount: Decimal
    lines: list[SampleLineInput] = strawberry.field(default_factory=list)
