"""Coalition-wide programme rules, as plain values and pure functions.

The operator sets these once for the whole coalition; every partner's earn
rules are checked against the limits, and the earn engine (partners/earning/engine.py)
applies the bonuses and tier multipliers.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import ROUND_FLOOR, Decimal
from enum import StrEnum

from coalition.platform.errors import validation


class TierBasis(StrEnum):
    POINTS = "POINTS"  # points earned in the window
    SPEND = "SPEND"  # money spent in the window, in minor units


class BirthdayPeriod(StrEnum):
    WEEK = "WEEK"
    MONTH = "MONTH"


class EnrolmentMode(StrEnum):
    OPEN = "OPEN"
    INVITE_ONLY = "INVITE_ONLY"


@dataclass(frozen=True)
class Tier:
    code: str
    name: str
    # Qualifying figure over the window: points, or minor units when basis is SPEND.
    threshold: int
    multiplier: Decimal = Decimal(1)
    benefits: tuple[str, ...] = ()


@dataclass(frozen=True)
class TierPolicy:
    basis: TierBasis = TierBasis.POINTS
    window_days: int = 365
    # A tier, once reached, is kept at least this long; after that a member
    # below its threshold drops one level per evaluation (a soft landing).
    retention_days: int = 30
    tiers: tuple[Tier, ...] = ()


@dataclass(frozen=True)
class Bonuses:
    signup: int = 0
    birthday: int = 0
    birthday_period: BirthdayPeriod = BirthdayPeriod.MONTH
    referrer: int = 0
    referee: int = 0
    # The referred member's first purchase of at least this much pays both sides.
    referral_min_purchase: Decimal = Decimal(0)


@dataclass(frozen=True)
class Limits:
    min_earn_rate: Decimal = Decimal(0)
    max_earn_rate: Decimal = Decimal(100)
    max_points_per_transaction: int | None = None
    max_points_per_member_per_day: int | None = None


@dataclass(frozen=True)
class Transfers:
    enabled: bool = False
    max_points_per_transfer: int = 10_000
    max_points_per_day: int = 20_000


@dataclass(frozen=True)
class DonationMatching:
    percent: int = 0
    max_points_per_donation: int | None = None


@dataclass(frozen=True)
class CoalitionRules:
    limits: Limits = field(default_factory=Limits)
    bonuses: Bonuses = field(default_factory=Bonuses)
    tiers: TierPolicy = field(default_factory=TierPolicy)
    enrolment: EnrolmentMode = EnrolmentMode.OPEN
    transfers: Transfers = field(default_factory=Transfers)
    donation_matching: DonationMatching = field(default_factory=DonationMatching)
    language: str = "en"

    @property
    def uses_member_state(self) -> bool:
        """Whether earning depends on what the member did before (so the earn
        engine needs the member's activity, one extra read)."""
        b = self.bonuses
        return bool(
            self.tiers.tiers
            or self.limits.max_points_per_member_per_day is not None
            or b.birthday
            or b.referrer
            or b.referee
        )


@dataclass(frozen=True)
class CoalitionRulesChanges:
    """A change to the coalition's rules, section by section; None keeps the
    section as it is."""

    limits: Limits | None = None
    bonuses: Bonuses | None = None
    tiers: TierPolicy | None = None
    enrolment: EnrolmentMode | None = None
    transfers: Transfers | None = None
    donation_matching: DonationMatching | None = None
    language: str | None = None

    @classmethod
    def replacing(cls, rules: CoalitionRules) -> CoalitionRulesChanges:
        """Every section of ``rules``, replacing the current ones."""
        return cls(**{name: getattr(rules, name) for name in cls.__dataclass_fields__})


def merge(current: CoalitionRules, changes: CoalitionRulesChanges) -> CoalitionRules:
    kept = {name: value for name in changes.__dataclass_fields__ if (value := getattr(changes, name)) is not None}
    return replace(current, **kept)


# The languages of the coalition's shops: the terms and the pages are written in each.
LANGUAGES = ("en", "nl", "fr", "pl", "nb")
MAX_BONUS = 1_000_000
_MAX_RATE = Decimal(1000)


def _points(value: int, *where: str) -> int:
    if not 0 <= value <= MAX_BONUS:
        raise validation(f"must be between 0 and {MAX_BONUS} points", *where)
    return value


def _rate(value: Decimal, *where: str) -> Decimal:
    if not value.is_finite() or not Decimal(0) <= value <= _MAX_RATE:
        raise validation(f"must be between 0 and {_MAX_RATE}", *where)
    if -int(value.as_tuple().exponent) > 4:
        raise validation("has more than 4 decimals", *where)
    return value


def check_coalition_rules(rules: CoalitionRules) -> CoalitionRules:
    """Refuses, with the offending field, rules that cannot be applied."""
    limits = rules.limits
    _rate(limits.min_earn_rate, "limits", "minEarnRate")
    _rate(limits.max_earn_rate, "limits", "maxEarnRate")
    if limits.min_earn_rate > limits.max_earn_rate:
        raise validation("the minimum earn rate is above the maximum", "limits", "minEarnRate")
    for name, cap in (
        ("maxPointsPerTransaction", limits.max_points_per_transaction),
        ("maxPointsPerMemberPerDay", limits.max_points_per_member_per_day),
    ):
        if cap is not None and not 1 <= cap <= MAX_BONUS:
            raise validation(f"must be between 1 and {MAX_BONUS}", "limits", name)
    bonuses = rules.bonuses
    for name, value in (
        ("signup", bonuses.signup),
        ("birthday", bonuses.birthday),
        ("referrer", bonuses.referrer),
        ("referee", bonuses.referee),
    ):
        _points(value, "bonuses", name)
    if not bonuses.referral_min_purchase.is_finite() or bonuses.referral_min_purchase < 0:
        raise validation("must not be negative", "bonuses", "referralMinPurchase")
    policy = rules.tiers
    if not 1 <= policy.window_days <= 3 * 366:
        raise validation("must be between 1 and 1098 days", "tiers", "windowDays")
    if not 0 <= policy.retention_days <= 3 * 366:
        raise validation("must be between 0 and 1098 days", "tiers", "retentionDays")
    codes: set[str] = set()
    previous = -1
    for index, tier in enumerate(policy.tiers):
        where = ("tiers", "tiers", str(index))
        if not tier.code.isidentifier() or len(tier.code) > 32:
            raise validation("code must be a short identifier, e.g. GOLD", *where, "code")
        if tier.code in codes:
            raise validation("tier codes must be unique", *where, "code")
        codes.add(tier.code)
        if not 1 <= len(tier.name.strip()) <= 64:
            raise validation("name must be 1-64 characters", *where, "name")
        if tier.threshold <= previous:
            raise validation("thresholds must rise from one tier to the next", *where, "threshold")
        previous = tier.threshold
        if not tier.multiplier.is_finite() or not Decimal(1) <= tier.multiplier <= Decimal(10):
            raise validation("multiplier must be between 1 and 10", *where, "multiplier")
        if len(tier.benefits) > 20 or any(not 1 <= len(b) <= 200 for b in tier.benefits):
            raise validation("at most 20 benefits of 1-200 characters", *where, "benefits")
    if policy.tiers and policy.tiers[0].threshold != 0:
        raise validation("the first tier starts at 0, so every member has a tier", "tiers", "tiers", "0")
    transfers = rules.transfers
    if not 1 <= transfers.max_points_per_transfer <= MAX_BONUS:
        raise validation(f"must be between 1 and {MAX_BONUS}", "transfers", "maxPointsPerTransfer")
    if not transfers.max_points_per_transfer <= transfers.max_points_per_day <= 10 * MAX_BONUS:
        raise validation("must be at least the per-transfer limit", "transfers", "maxPointsPerDay")
    matching = rules.donation_matching
    if not 0 <= matching.percent <= 100:
        raise validation("must be between 0 and 100", "donationMatching", "percent")
    if matching.max_points_per_donation is not None and not 1 <= matching.max_points_per_donation <= MAX_BONUS:
        raise validation(f"must be between 1 and {MAX_BONUS}", "donationMatching", "maxPointsPerDonation")
    if rules.language not in LANGUAGES:
        raise validation(f"language must be one of {', '.join(LANGUAGES)}", "language")
    return rules


# ---------- tiers ----------


@dataclass(frozen=True)
class TierProgress:
    tier: Tier | None
    next_tier: Tier | None
    qualifying: int  # the member's figure over the window
    to_next: int  # how much more reaches the next tier (0 at the top)
    progress: Decimal  # 0..1 of the way from this tier's threshold to the next


def qualified_tier(policy: TierPolicy, qualifying: int) -> Tier | None:
    reached = [tier for tier in policy.tiers if tier.threshold <= qualifying]
    return reached[-1] if reached else None


def tier_by_code(policy: TierPolicy, code: str | None) -> Tier | None:
    return next((tier for tier in policy.tiers if tier.code == code), None)


def _level(policy: TierPolicy, tier: Tier | None) -> int:
    return -1 if tier is None else policy.tiers.index(tier)


def tier_after_earn(policy: TierPolicy, current: str | None, qualifying: int) -> Tier | None:
    """On an earn a member only moves up; going down waits for the daily review."""
    held = tier_by_code(policy, current)
    reached = qualified_tier(policy, qualifying)
    return reached if _level(policy, reached) > _level(policy, held) else held


def tier_after_review(
    policy: TierPolicy, current: str | None, held_since: date | None, qualifying: int, today: date
) -> Tier | None:
    """The daily review: up to what the member qualifies for; down one level
    only when the tier has been held for the retention period."""
    held = tier_by_code(policy, current)
    reached = qualified_tier(policy, qualifying)
    if _level(policy, reached) >= _level(policy, held):
        return reached
    if held_since is not None and today - held_since < timedelta(days=policy.retention_days):
        return held
    return policy.tiers[_level(policy, held) - 1] if _level(policy, held) > 0 else None


def standing(policy: TierPolicy, current: str | None, qualifying: int) -> TierProgress:
    tier = tier_by_code(policy, current) or qualified_tier(policy, qualifying)
    level = _level(policy, tier)
    next_tier = policy.tiers[level + 1] if level + 1 < len(policy.tiers) else None
    if next_tier is None:
        return TierProgress(tier, None, qualifying, 0, Decimal(1))
    floor = tier.threshold if tier else 0
    span = next_tier.threshold - floor
    done = min(max(qualifying - floor, 0), span)
    progress = (Decimal(done) / Decimal(span)).quantize(Decimal("0.0001"), rounding=ROUND_FLOOR)
    return TierProgress(tier, next_tier, qualifying, max(next_tier.threshold - qualifying, 0), progress)


# ---------- bonuses ----------


def in_birthday_period(birth_date: date, today: date, period: BirthdayPeriod) -> bool:
    """The member's birthday week (Monday to Sunday) or month, this year.
    A 29 February birthday falls on 28 February in other years."""
    try:
        birthday = birth_date.replace(year=today.year)
    except ValueError:
        birthday = date(today.year, 2, 28)
    if period is BirthdayPeriod.MONTH:
        return birthday.month == today.month
    return birthday.isocalendar()[:2] == today.isocalendar()[:2]


def donation_match(matching: DonationMatching, points: int) -> int:
    matched = points * matching.percent // 100
    if matching.max_points_per_donation is not None:
        matched = min(matched, matching.max_points_per_donation)
    return matched
