"""GraphQL types of partners and their own programmes: the coalition and its
shops, earn rules, campaigns, challenges, rewards, coupons and stamp cards."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum

import strawberry
from strawberry.types import Info

from coalition.graphql import permissions
from coalition.graphql.common import Money, Node, PageInfo, page_size, parse_id, plain
from coalition.graphql.context import Context
from coalition.partners import reads as partner_reads
from coalition.partners.earning import model as partner_rules
from coalition.partners.reads import CouponRecord, RewardRecord, StampCardRecord
from coalition.partners.rewards import coupon_qr_svg
from coalition.platform.coalitions import reads as coalition_reads
from coalition.platform.coalitions.reads import CoalitionRecord, PartnerRecord


async def load_partner(info: Info[Context, None], partner_id: uuid.UUID | None) -> Partner | None:
    if partner_id is None:
        return None
    record = await info.context.partners.load(partner_id)
    return Partner.of(record) if record else None


@strawberry.enum
class PartnerStatus(Enum):
    INVITED = "INVITED"
    ACTIVE = "ACTIVE"
    SUSPENDED = "SUSPENDED"
    TERMINATED = "TERMINATED"


@strawberry.enum
class PartnerRole(Enum):
    POS = "POS"
    MANAGER = "MANAGER"


@strawberry.type
class Partner(Node):
    id: strawberry.ID
    name: str
    status: PartnerStatus
    reference: str | None = strawberry.field(
        default=None, description="The shop's name in receipt import files; unique in the coalition."
    )

    @classmethod
    def of(cls, record: PartnerRecord) -> Partner:
        return cls(
            id=strawberry.ID(str(record.id)),
            name=record.name,
            status=PartnerStatus(record.status),
            reference=record.reference,
        )

    @strawberry.field(
        description="Points this partner issued that are still in members' wallets: its liability "
        "(the operator and the partner itself)."
    )
    async def outstanding_points(self, info: Info[Context, None]) -> int | None:
        partner_id = uuid.UUID(self.id)
        if not permissions.may_see_outstanding_points(info.context.principal, partner_id):
            return None
        return await info.context.outstanding.load(partner_id) or 0

    @strawberry.field(description="The IBAN payouts go to, compact (the operator and the shop's MANAGER).")
    async def payout_iban(self, info: Info[Context, None]) -> str | None:
        partner_id = uuid.UUID(self.id)
        if not permissions.may_see_payout_account(info.context.principal, partner_id):
            return None
        async with info.context.services.reads.connect() as connection:
            return await partner_reads.payout_iban(connection, partner_id)


@strawberry.type
class PartnerEdge:
    node: Partner
    cursor: str


@strawberry.type
class PartnerConnection:
    edges: list[PartnerEdge]
    page_info: PageInfo


@strawberry.type
class Coalition(Node):
    id: strawberry.ID
    slug: str
    name: str
    points_name: str = strawberry.field(description="What members call the points.")
    currency: str
    point_value: Money = strawberry.field(description="The value of one point at any till.")
    timezone: str
    pending_days: int = strawberry.field(description="Days before earned points can be spent.")
    expiry_months: int | None = strawberry.field(description="Months after which points expire.")

    @classmethod
    def of(cls, record: CoalitionRecord) -> Coalition:
        return cls(
            id=strawberry.ID(str(record.id)),
            slug=record.slug,
            name=record.name,
            points_name=record.points_name,
            currency=record.currency,
            point_value=Money(amount=record.point_value.normalize(), currency=record.currency),
            timezone=record.timezone,
            pending_days=record.pending_days,
            expiry_months=record.expiry_months,
        )

    @strawberry.field(description="The coalition's partner shops, in the order they joined.")
    async def partners(
        self, info: Info[Context, None], first: int | None = 50, after: str | None = None
    ) -> PartnerConnection:
        limit = page_size(first)
        after_id = parse_id(after, "after") if after else None
        async with info.context.services.engine.connect() as connection:
            rows = await coalition_reads.partner_page(connection, uuid.UUID(self.id), after_id, limit + 1)
        edges = [PartnerEdge(node=Partner.of(p), cursor=str(p.id)) for p in rows[:limit]]
        return PartnerConnection(
            edges=edges, page_info=PageInfo.after([e.cursor for e in edges], more=len(rows) > limit)
        )


CampaignKind = strawberry.enum(partner_rules.CampaignKind, name="CampaignKind")


ChallengePeriod = strawberry.enum(partner_rules.ChallengePeriod, name="ChallengePeriod")


ChallengeFunding = strawberry.enum(partner_rules.ChallengeFunding, name="ChallengeFunding")


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
        return await load_partner(info, self.partner_id)

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
        found = [await load_partner(info, p) for p in self.partner_ids]
        return [p for p in found if p is not None]


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
        return await load_partner(info, self.partner_id)


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
        return await load_partner(info, self.record.partner_id)


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
        return await load_partner(info, self.partner_id)

    @strawberry.field(description="What a full card gives.")
    async def reward(self, info: Info[Context, None]) -> Reward | None:
        return await Reward.load(info, self.reward_id)


@strawberry.type
class StampProgress:
    card: StampCard
    stamps: int = strawberry.field(description="Stamps on the current card.")
