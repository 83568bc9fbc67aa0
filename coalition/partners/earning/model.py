"""The earn data model: a partner's rules, campaigns, challenges and stamp
cards, the purchase, the member as the engine sees them, and what a purchase
earns. Pure: no I/O."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from coalition.platform.money import to_minor
from coalition.platform.programme.rules import CoalitionRules


def fmt_decimal(value: Decimal) -> str:
    return f"{value.normalize():f}"


# ---------- a partner's rules ----------


@dataclass(frozen=True)
class CategoryRate:
    category: str
    rate: Decimal


@dataclass(frozen=True)
class Threshold:
    min_spend: Decimal
    points: int


@dataclass(frozen=True)
class EarnRules:
    base_rate: Decimal
    category_rates: tuple[CategoryRate, ...] = ()
    thresholds: tuple[Threshold, ...] = ()
    max_points_per_transaction: int | None = None

    def rate_for(self, category: str | None) -> Decimal:
        for special in self.category_rates:
            if special.category == category:
                return special.rate
        return self.base_rate


class CampaignKind(StrEnum):
    MULTIPLIER = "MULTIPLIER"
    FIXED_BONUS = "FIXED_BONUS"
    COUPON = "COUPON"


class AudienceKind(StrEnum):
    SEGMENT = "SEGMENT"  # a recency-frequency segment as of the campaign's start
    LAPSED = "LAPSED"  # the lapsed list as of the campaign's start


@dataclass(frozen=True)
class Audience:
    """Who a campaign is aimed at, and the share of them held out to measure it."""

    kind: AudienceKind
    segment: str | None = None
    holdout_share: Decimal | None = None


@dataclass(frozen=True)
class Campaign:
    id: uuid.UUID
    name: str
    partner_id: uuid.UUID | None  # None: coalition-wide, funded by the coalition
    kind: CampaignKind
    starts_at: datetime
    ends_at: datetime
    multiplier: Decimal | None = None
    bonus_points: int | None = None
    reward_id: uuid.UUID | None = None
    categories: tuple[str, ...] = ()
    tiers: tuple[str, ...] = ()
    min_spend: Decimal | None = None
    # None: every member; otherwise only the audience's treatment arm, drawn when the campaign starts.
    audience: Audience | None = None

    def running(self, now: datetime) -> bool:
        return self.starts_at <= now < self.ends_at


class ChallengePeriod(StrEnum):
    WEEK = "WEEK"
    MONTH = "MONTH"


class ChallengeFunding(StrEnum):
    COALITION = "COALITION"
    SHARED = "SHARED"  # split between the partners that joined it


@dataclass(frozen=True)
class Challenge:
    id: uuid.UUID
    name: str
    distinct_partners: int
    period: ChallengePeriod
    bonus_points: int
    funding: ChallengeFunding
    # The shops that count (and, when SHARED, pay); empty: every partner counts.
    partner_ids: tuple[uuid.UUID, ...]
    starts_at: datetime
    ends_at: datetime

    def counts(self, partner_id: uuid.UUID) -> bool:
        return not self.partner_ids or partner_id in self.partner_ids


def period_start(period: ChallengePeriod, today: date) -> date:
    if period is ChallengePeriod.MONTH:
        return today.replace(day=1)
    return today - timedelta(days=today.weekday())


@dataclass(frozen=True)
class StampCard:
    id: uuid.UUID
    name: str
    stamps_required: int
    reward_id: uuid.UUID
    # Qualifying lines: one stamp per unit in these categories; empty: one
    # stamp per purchase of at least min_spend.
    categories: tuple[str, ...] = ()
    min_spend: Decimal = Decimal(0)


# ---------- the purchase and the member ----------


@dataclass(frozen=True)
class Line:
    sku: str
    category: str | None
    quantity: int
    unit_price: Decimal

    @property
    def total(self) -> Decimal:
        return self.unit_price * self.quantity


@dataclass(frozen=True)
class Basket:
    partner_id: uuid.UUID
    amount: Decimal
    currency: str
    lines: tuple[Line, ...] = ()

    @property
    def minor(self) -> int:
        return to_minor(self.amount, self.currency)


@dataclass(frozen=True)
class MemberState:
    """What the member did before, as far as the rules need it."""

    tier: str | None = None
    qualifying: int = 0  # points or spend over the tier window, before this purchase
    points_today: int = 0
    # Partners visited since the start of this week / month (before this purchase).
    partners_this_week: frozenset[uuid.UUID] = frozenset()
    partners_this_month: frozenset[uuid.UUID] = frozenset()
    challenges_done: frozenset[uuid.UUID] = frozenset()  # completed in their current period
    stamps: dict[uuid.UUID, int] = field(default_factory=dict)
    birth_date: date | None = None
    birthday_bonus_year: int | None = None
    referrer_id: uuid.UUID | None = None
    referral_paid: bool = True
    # Aimed campaigns this member gets (in their audience, not held out): the
    # till knows them from its cache of each running campaign's treated cards.
    campaigns: frozenset[uuid.UUID] = frozenset()


@dataclass(frozen=True)
class Award:
    """Points one rule gives (or, negative, a cap takes back) and who funds them."""

    points: int
    funder: uuid.UUID | None  # a partner, or None for the coalition
    line: str


@dataclass(frozen=True)
class CouponGrant:
    reward_id: uuid.UUID
    source: str  # CAMPAIGN or STAMP_CARD
    line: str


@dataclass(frozen=True)
class ReferralPayout:
    referrer_id: uuid.UUID
    points: int
    line: str


@dataclass(frozen=True)
class Earned:
    awards: tuple[Award, ...]
    notes: tuple[str, ...] = ()
    stamps: dict[uuid.UUID, int] = field(default_factory=dict)
    coupons: tuple[CouponGrant, ...] = ()
    challenges: tuple[tuple[uuid.UUID, date], ...] = ()
    tier: str | None = None
    tier_changed: bool = False
    birthday_year: int | None = None
    referral: ReferralPayout | None = None
    referral_qualified: bool = False

    @property
    def points(self) -> int:
        return sum(award.points for award in self.awards)

    @property
    def explanation(self) -> list[str]:
        return [award.line for award in self.awards] + list(self.notes)

    def by_funder(self) -> dict[uuid.UUID | None, int]:
        totals: dict[uuid.UUID | None, int] = {}
        for award in self.awards:
            totals[award.funder] = totals.get(award.funder, 0) + award.points
        return {funder: points for funder, points in totals.items() if points}


@dataclass(frozen=True)
class Setup:
    """Everything the engine needs besides the purchase and the member."""

    partner_id: uuid.UUID
    currency: str
    rules: EarnRules
    coalition: CoalitionRules = field(default_factory=CoalitionRules)
    campaigns: tuple[Campaign, ...] = ()
    challenges: tuple[Challenge, ...] = ()
    stamp_cards: tuple[StampCard, ...] = ()

    @property
    def uses_member_state(self) -> bool:
        return bool(
            self.coalition.uses_member_state
            or self.challenges
            or self.stamp_cards
            or any(campaign.tiers for campaign in self.campaigns)
        )
