"""GraphQL types of the programme: rules, campaigns, challenges, tiers, stamp
cards, rewards, coupons, charities, the audit log and the programme terms."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum
from typing import cast

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from coalition.graphql.context import Context
from coalition.graphql.types import MutationError, Partner, PostingPayload
from coalition.partners.earning import model as partner_rules
from coalition.partners.repositories.programme import StampCardRecord
from coalition.partners.repositories.rewards import CouponRecord, RewardRecord
from coalition.partners.rewards import coupon_qr_svg
from coalition.platform.audit.repository import AuditEntry as AuditRecord
from coalition.platform.programme import rules as coalition_rules
from coalition.platform.programme.repository import CharityRecord


def plain(value: Decimal) -> Decimal:
    """Without trailing zeros or an exponent: 100, 1.5, 0.25."""
    normal = value.normalize()
    return normal.quantize(Decimal(1)) if int(normal.as_tuple().exponent) > 0 else normal


async def _partner(info: Info[Context, None], partner_id: uuid.UUID | None) -> Partner | None:
    if partner_id is None:
        return None
    record = await info.context.partners.load(partner_id)
    return Partner.of(record) if record else None


# ---------- enums ----------

CampaignKind = strawberry.enum(partner_rules.CampaignKind, name="CampaignKind")
ChallengePeriod = strawberry.enum(partner_rules.ChallengePeriod, name="ChallengePeriod")
ChallengeFunding = strawberry.enum(partner_rules.ChallengeFunding, name="ChallengeFunding")
TierBasis = strawberry.enum(coalition_rules.TierBasis, name="TierBasis")
BirthdayPeriod = strawberry.enum(coalition_rules.BirthdayPeriod, name="BirthdayPeriod")
EnrolmentMode = strawberry.enum(coalition_rules.EnrolmentMode, name="EnrolmentMode")


@strawberry.enum
class RewardKind(Enum):
    FREE_PRODUCT = "FREE_PRODUCT"
    FIXED_DISCOUNT = "FIXED_DISCOUNT"
    PERCENT_DISCOUNT = "PERCENT_DISCOUNT"


@strawberry.enum
class CouponStatus(Enum):
    ISSUED = "ISSUED"
    USED = "USED"
    EXPIRED = "EXPIRED"


# ---------- a partner's earn rules ----------


@strawberry.type
class CategoryRate:
    category: str
    rate: Decimal = strawberry.field(description="Points per 1.00 spent on this category.")


@strawberry.type
class SpendThreshold:
    min_spend: Decimal
    points: int = strawberry.field(description="Added when a purchase reaches minSpend (the highest one reached).")


@strawberry.type
class EarnRules:
    base_rate: Decimal = strawberry.field(description="Points per 1.00 spent.")
    category_rates: list[CategoryRate]
    thresholds: list[SpendThreshold]
    max_points_per_transaction: int | None

    @classmethod
    def of(cls, rules: partner_rules.EarnRules) -> EarnRules:
        return cls(
            base_rate=plain(rules.base_rate),
            category_rates=[CategoryRate(category=c.category, rate=plain(c.rate)) for c in rules.category_rates],
            thresholds=[SpendThreshold(min_spend=t.min_spend, points=t.points) for t in rules.thresholds],
            max_points_per_transaction=rules.max_points_per_transaction,
        )


# ---------- campaigns and challenges ----------


@strawberry.type
class Campaign:
    id: strawberry.ID
    name: str
    kind: CampaignKind  # type: ignore[valid-type]
    starts_at: datetime
    ends_at: datetime
    multiplier: Decimal | None
    bonus_points: int | None
    categories: list[str]
    tiers: list[str]
    min_spend: Decimal | None
    partner_id: strawberry.Private[uuid.UUID | None]
    reward_id: strawberry.Private[uuid.UUID | None]

    @classmethod
    def of(cls, campaign: partner_rules.Campaign) -> Campaign:
        return cls(
            id=strawberry.ID(str(campaign.id)),
            name=campaign.name,
            kind=campaign.kind,
            starts_at=campaign.starts_at,
            ends_at=campaign.ends_at,
            multiplier=plain(campaign.multiplier) if campaign.multiplier else None,
            bonus_points=campaign.bonus_points,
            categories=list(campaign.categories),
            tiers=list(campaign.tiers),
            min_spend=campaign.min_spend,
            partner_id=campaign.partner_id,
            reward_id=campaign.reward_id,
        )

    @strawberry.field(description="Whose campaign; null for a coalition-wide one (funded by the coalition).")
    async def partner(self, info: Info[Context, None]) -> Partner | None:
        return await _partner(info, self.partner_id)

    @strawberry.field(description="For COUPON campaigns: the reward the coupon is for.")
    async def reward(self, info: Info[Context, None]) -> Reward | None:
        return await Reward.load(info, self.reward_id)

    @strawberry.field
    def running(self) -> bool:
        return self.starts_at <= datetime.now(UTC) < self.ends_at


@strawberry.type
class Challenge:
    id: strawberry.ID
    name: str
    distinct_partners: int = strawberry.field(description="How many different shops to visit in the period.")
    period: ChallengePeriod  # type: ignore[valid-type]
    bonus_points: int
    funding: ChallengeFunding  # type: ignore[valid-type]
    starts_at: datetime
    ends_at: datetime
    partner_ids: strawberry.Private[tuple[uuid.UUID, ...]]

    @classmethod
    def of(cls, challenge: partner_rules.Challenge) -> Challenge:
        return cls(
            id=strawberry.ID(str(challenge.id)),
            name=challenge.name,
            distinct_partners=challenge.distinct_partners,
            period=challenge.period,
            bonus_points=challenge.bonus_points,
            funding=challenge.funding,
            starts_at=challenge.starts_at,
            ends_at=challenge.ends_at,
            partner_ids=challenge.partner_ids,
        )

    @strawberry.field(description="The shops that count (and, when SHARED, pay); empty: every partner.")
    async def partners(self, info: Info[Context, None]) -> list[Partner]:
        found = [await _partner(info, p) for p in self.partner_ids]
        return [p for p in found if p is not None]


# ---------- rewards, coupons, stamp cards ----------


@strawberry.type
class Reward:
    id: strawberry.ID
    name: str
    kind: RewardKind
    points_cost: int | None = strawberry.field(description="Null: only given by campaigns and stamp cards.")
    value: Decimal | None = strawberry.field(description="FIXED_DISCOUNT: money; PERCENT_DISCOUNT: percent.")
    valid_days: int = strawberry.field(description="How long a coupon for it stays valid.")
    active: bool
    partner_id: strawberry.Private[uuid.UUID]

    @classmethod
    def of(cls, record: RewardRecord) -> Reward:
        return cls(
            id=strawberry.ID(str(record.id)),
            name=record.name,
            kind=RewardKind(record.kind),
            points_cost=record.points_cost,
            value=record.value,
            valid_days=record.valid_days,
            active=record.active,
            partner_id=record.partner_id,
        )

    @classmethod
    async def load(cls, info: Info[Context, None], reward_id: uuid.UUID | None) -> Reward | None:
        if reward_id is None:
            return None
        record = await info.context.rewards.load(reward_id)
        return cls.of(record) if record else None

    @strawberry.field(description="Where the coupon is used.")
    async def partner(self, info: Info[Context, None]) -> Partner | None:
        return await _partner(info, self.partner_id)


@strawberry.type
class Coupon:
    code: str = strawberry.field(description="Single use, at the reward's partner.")
    source: str = strawberry.field(description="PURCHASE, CAMPAIGN or STAMP_CARD.")
    expires_at: datetime
    issued_at: datetime
    used_at: datetime | None
    status: CouponStatus
    record: strawberry.Private[CouponRecord]

    @classmethod
    def of(cls, record: CouponRecord) -> Coupon:
        return cls(
            code=record.code,
            source=record.source,
            expires_at=record.expires_at,
            issued_at=record.issued_at,
            used_at=record.used_at,
            status=(
                CouponStatus.USED
                if record.status == "USED"
                else CouponStatus.EXPIRED
                if record.expires_at <= datetime.now(UTC)
                else CouponStatus.ISSUED
            ),
            record=record,
        )

    @strawberry.field(description="The code as a QR code (SVG), for the wallet and receipts.")
    def qr_svg(self) -> str:
        return coupon_qr_svg(self.code)

    @strawberry.field
    async def reward(self, info: Info[Context, None]) -> Reward | None:
        return await Reward.load(info, self.record.reward_id)

    @strawberry.field
    async def partner(self, info: Info[Context, None]) -> Partner | None:
        return await _partner(info, self.record.partner_id)


@strawberry.type
class StampCard:
    id: strawberry.ID
    name: str
    stamps_required: int
    categories: list[str] = strawberry.field(description="One stamp per unit bought in these; empty: per purchase.")
    min_spend: Decimal
    active: bool
    partner_id: strawberry.Private[uuid.UUID]
    reward_id: strawberry.Private[uuid.UUID]

    @classmethod
    def of(cls, record: StampCardRecord) -> StampCard:
        return cls(
            id=strawberry.ID(str(record.card.id)),
            name=record.card.name,
            stamps_required=record.card.stamps_required,
            categories=list(record.card.categories),
            min_spend=record.card.min_spend,
            active=record.active,
            partner_id=record.partner_id,
            reward_id=record.card.reward_id,
        )

    @strawberry.field
    async def partner(self, info: Info[Context, None]) -> Partner | None:
        return await _partner(info, self.partner_id)

    @strawberry.field(description="What a full card gives.")
    async def reward(self, info: Info[Context, None]) -> Reward | None:
        return await Reward.load(info, self.reward_id)


@strawberry.type
class StampProgress:
    card: StampCard
    stamps: int = strawberry.field(description="Stamps on the current card.")


# ---------- tiers ----------


@strawberry.type
class Tier:
    code: str
    name: str
    threshold: int = strawberry.field(description="Points (or minor units of spend) over the window.")
    multiplier: Decimal
    benefits: list[str]

    @classmethod
    def of(cls, tier: coalition_rules.Tier) -> Tier:
        return cls(
            code=tier.code,
            name=tier.name,
            threshold=tier.threshold,
            multiplier=plain(tier.multiplier),
            benefits=list(tier.benefits),
        )


@strawberry.type(description="A member's tier and how far they are from the next one.")
class MemberTier:
    code: str | None
    name: str | None
    benefits: list[str]
    progress: Decimal = strawberry.field(description="0 to 1, from this tier's threshold to the next one's.")
    points_to_next: int | None = strawberry.field(
        description="Points still to earn in the window to reach the next tier (null when tiers go by spend)."
    )
    spend_to_next: Decimal | None = strawberry.field(description="When tiers go by spend: money still to spend.")
    next_tier: str | None
    qualifying: int = strawberry.field(description="The member's points (or minor units spent) in the window.")


# ---------- coalition rules ----------


@strawberry.type
class Limits:
    min_earn_rate: Decimal
    max_earn_rate: Decimal
    max_points_per_transaction: int | None
    max_points_per_member_per_day: int | None


@strawberry.type
class Bonuses:
    signup: int
    birthday: int
    birthday_period: BirthdayPeriod  # type: ignore[valid-type]
    referrer: int
    referee: int
    referral_min_purchase: Decimal


@strawberry.type
class TierPolicy:
    basis: TierBasis  # type: ignore[valid-type]
    window_days: int
    retention_days: int
    tiers: list[Tier]


@strawberry.type
class Transfers:
    enabled: bool
    max_points_per_transfer: int
    max_points_per_day: int


@strawberry.type
class DonationMatching:
    percent: int
    max_points_per_donation: int | None


@strawberry.type
class CoalitionRules:
    limits: Limits
    bonuses: Bonuses
    tiers: TierPolicy
    enrolment_mode: EnrolmentMode  # type: ignore[valid-type]
    transfers: Transfers
    donation_matching: DonationMatching
    language: str

    @classmethod
    def of(cls, rules: coalition_rules.CoalitionRules) -> CoalitionRules:
        limits, bonuses, policy = rules.limits, rules.bonuses, rules.tiers
        return cls(
            limits=Limits(
                min_earn_rate=plain(limits.min_earn_rate),
                max_earn_rate=plain(limits.max_earn_rate),
                max_points_per_transaction=limits.max_points_per_transaction,
                max_points_per_member_per_day=limits.max_points_per_member_per_day,
            ),
            bonuses=Bonuses(
                signup=bonuses.signup,
                birthday=bonuses.birthday,
                birthday_period=bonuses.birthday_period,
                referrer=bonuses.referrer,
                referee=bonuses.referee,
                referral_min_purchase=bonuses.referral_min_purchase,
            ),
            tiers=TierPolicy(
                basis=policy.basis,
                window_days=policy.window_days,
                retention_days=policy.retention_days,
                tiers=[Tier.of(t) for t in policy.tiers],
            ),
            enrolment_mode=rules.enrolment,
            transfers=Transfers(
                enabled=rules.transfers.enabled,
                max_points_per_transfer=rules.transfers.max_points_per_transfer,
                max_points_per_day=rules.transfers.max_points_per_day,
            ),
            donation_matching=DonationMatching(
                percent=rules.donation_matching.percent,
                max_points_per_donation=rules.donation_matching.max_points_per_donation,
            ),
            language=rules.language,
        )


# ---------- charities, audit, terms ----------


@strawberry.type
class Charity:
    id: strawberry.ID
    name: str
    description: str | None
    active: bool
    account_id: strawberry.Private[uuid.UUID]

    @classmethod
    def of(cls, record: CharityRecord) -> Charity:
        return cls(
            id=strawberry.ID(str(record.id)),
            name=record.name,
            description=record.description,
            active=record.active,
            account_id=record.account_id,
        )

    @strawberry.field(description="Points received so far, donations and the coalition's matching together.")
    async def total_points(self, info: Info[Context, None]) -> int:
        return await info.context.charity_totals.load(self.account_id) or 0


@strawberry.type
class AuditEntry:
    id: strawberry.ID
    at: datetime
    actor: str = strawberry.field(description="Which credential (or CLI) made the change.")
    action: str
    subject_id: strawberry.ID | None
    before: JSON | None
    after: JSON | None

    @classmethod
    def of(cls, record: AuditRecord) -> AuditEntry:
        return cls(
            id=strawberry.ID(str(record.id)),
            at=record.at,
            actor=record.actor,
            action=record.action,
            subject_id=strawberry.ID(str(record.subject_id)) if record.subject_id else None,
            before=cast(JSON, record.before),
            after=cast(JSON, record.after),
        )


@strawberry.type
class AuditEntryEdge:
    node: AuditEntry
    cursor: str


@strawberry.type
class AuditConnection:
    edges: list[AuditEntryEdge]
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class TermsSection:
    title: str
    lines: list[str]


@strawberry.type(description="The programme's terms, written from the live configuration.")
class ProgramTerms:
    language: str
    title: str
    sections: list[TermsSection]
    url: str = strawberry.field(description="The same terms as a web page.")


# ---------- payloads ----------


@strawberry.type
class EarnRulesPayload:
    rules: EarnRules | None = None
    errors: list[MutationError] = strawberry.field(default_factory=list)


@strawberry.type
class CoalitionRulesPayload:
    rules: CoalitionRules | None = None
    errors: list[MutationError] = strawberry.field(default_factory=list)


@strawberry.type
class CampaignPayload:
    campaign: Campaign | None = None
    errors: list[MutationError] = strawberry.field(default_factory=list)


@strawberry.type
class ChallengePayload:
    challenge: Challenge | None = None
    errors: list[MutationError] = strawberry.field(default_factory=list)


@strawberry.type
class StampCardPayload:
    stamp_card: StampCard | None = None
    errors: list[MutationError] = strawberry.field(default_factory=list)


@strawberry.type
class RewardPayload:
    reward: Reward | None = None
    errors: list[MutationError] = strawberry.field(default_factory=list)


@strawberry.type
class CouponPayload:
    coupon: Coupon | None = None
    reward: Reward | None = None
    errors: list[MutationError] = strawberry.field(default_factory=list)


@strawberry.type
class CharityPayload:
    charity: Charity | None = None
    errors: list[MutationError] = strawberry.field(default_factory=list)


@strawberry.type
class InvitePayload:
    code: str | None = None
    errors: list[MutationError] = strawberry.field(default_factory=list)


@strawberry.type
class DonePayload:
    done: bool = False
    errors: list[MutationError] = strawberry.field(default_factory=list)


@strawberry.type
class BuyRewardPayload:
    coupon: Coupon | None = None
    posting: PostingPayload | None = None
    errors: list[MutationError] = strawberry.field(default_factory=list)
