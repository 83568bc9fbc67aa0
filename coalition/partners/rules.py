"""How many points a purchase earns: one pure function of (basket, member,
partner rules, coalition rules, time) -> awards, with a line of explanation
per rule that fired.

Order of application (also printed in the programme terms):

1. base points: lines in a category with its own rate earn at that rate, the
   rest of the purchase at the partner's base rate;
2. the highest spend threshold reached adds its points;
3. the partner's campaigns running now: a multiplier adds (m - 1) x the base
   points of the lines it covers, a fixed bonus adds its points;
4. the member's tier multiplier adds (m - 1) x the base points;
5. the partner's points (1-4) are capped per purchase (the partner's cap and
   the coalition's);
6. the coalition's campaigns (funded by the coalition);
7. cross-shop challenges completed by this purchase;
8. the birthday bonus, on the first purchase in the birthday week or month;
9. the referral bonus, on the referred member's first qualifying purchase;
10. the coalition's daily cap per member trims the total, coalition-funded
    points first.

Points always round down, so no rule ever issues more than it states.
Stamp cards are counted alongside: a full card issues a coupon.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_FLOOR, Decimal, InvalidOperation
from enum import StrEnum

from coalition.platform.errors import validation
from coalition.platform.money import to_minor
from coalition.platform.programme.rules import (
    CoalitionRules,
    Limits,
    in_birthday_period,
    tier_after_earn,
    tier_by_code,
)

MAX_EARN_RATE = Decimal("1000")
MAX_RULE_POINTS = 1_000_000


def _floor(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_FLOOR))


def _fmt(value: Decimal) -> str:
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


# ---------- the engine ----------


def _base(basket: Basket, rules: EarnRules) -> tuple[int, list[Award], dict[str | None, Decimal]]:
    """Base points and the exact (unrounded) base per category, for multipliers."""
    exact: dict[str | None, Decimal] = {}
    special = 0 * basket.amount
    for line in basket.lines:
        rate = rules.rate_for(line.category)
        exact[line.category] = exact.get(line.category, Decimal(0)) + line.total * rate
        if rate != rules.base_rate:
            special += line.total
    rest = max(basket.amount - special, Decimal(0))
    awards: list[Award] = []
    by_rate: dict[str, Decimal] = {}
    for rated in rules.category_rates:
        spent = sum((line.total for line in basket.lines if line.category == rated.category), Decimal(0))
        if spent and rated.rate != rules.base_rate:
            points = _floor(spent * rated.rate)
            by_rate[rated.category] = spent
            awards.append(
                Award(
                    points,
                    basket.partner_id,
                    f"{rated.category}: {_fmt(rated.rate)} per 1 {basket.currency} on "
                    f"{spent:f} {basket.currency}: {points} points",
                )
            )
    base_points = _floor(rest * rules.base_rate)
    awards.insert(
        0,
        Award(
            base_points,
            basket.partner_id,
            f"Base rate {_fmt(rules.base_rate)} per 1 {basket.currency} on {rest:f} {basket.currency}: "
            f"{base_points} points",
        ),
    )
    if not basket.lines:
        exact[None] = basket.amount * rules.base_rate
    else:
        unlined = basket.amount - sum((line.total for line in basket.lines), Decimal(0))
        if unlined > 0:
            exact[None] = exact.get(None, Decimal(0)) + unlined * rules.base_rate
    return sum(a.points for a in awards), awards, exact


def _campaign_awards(
    campaign: Campaign,
    basket: Basket,
    exact_base: dict[str | None, Decimal],
    tier: str | None,
    funder: uuid.UUID | None,
) -> tuple[Award | None, CouponGrant | None]:
    if campaign.tiers and tier not in campaign.tiers:
        return None, None
    if campaign.min_spend is not None and basket.amount < campaign.min_spend:
        return None, None
    covered = {category for category in exact_base if not campaign.categories or category in campaign.categories}
    if campaign.categories and not covered:
        return None, None
    who = "coalition" if funder is None else "shop"
    if campaign.kind is CampaignKind.MULTIPLIER and campaign.multiplier is not None:
        extra = _floor(sum((exact_base[c] for c in covered), Decimal(0)) * (campaign.multiplier - 1))
        if extra <= 0:
            return None, None
        return Award(extra, funder, f"{campaign.name} ({who} campaign, x{_fmt(campaign.multiplier)}): +{extra}"), None
    if campaign.kind is CampaignKind.FIXED_BONUS and campaign.bonus_points:
        return Award(campaign.bonus_points, funder, f"{campaign.name} ({who} campaign): +{campaign.bonus_points}"), None
    if campaign.kind is CampaignKind.COUPON and campaign.reward_id is not None:
        return None, CouponGrant(campaign.reward_id, "CAMPAIGN", f"{campaign.name}: coupon issued")
    return None, None


def _cap(awards: list[Award], cap: int, line: str, order: Iterable[uuid.UUID | None]) -> list[Award]:
    """Takes the excess over ``cap`` back, from the funders in ``order``."""
    excess = sum(a.points for a in awards) - cap
    trims: list[Award] = []
    for funder in order:
        if excess <= 0:
            break
        funded = sum(a.points for a in awards + trims if a.funder == funder)
        take = min(funded, excess)
        if take > 0:
            trims.append(Award(-take, funder, line.format(take=take)))
            excess -= take
    return trims


def evaluate(basket: Basket, member: MemberState, setup: Setup, today: date, now: datetime) -> Earned:
    """The points ``basket`` earns ``member`` at ``setup.partner_id``; ``today``
    is the business date (the coalition's calendar), ``now`` the instant."""
    rules, coalition, partner = setup.rules, setup.coalition, setup.partner_id
    _, awards, exact = _base(basket, rules)
    notes: list[str] = []
    coupons: list[CouponGrant] = []

    reached = [t for t in rules.thresholds if basket.amount >= t.min_spend]
    if reached:
        top = max(reached, key=lambda t: t.min_spend)
        awards.append(
            Award(top.points, partner, f"Spend of {top.min_spend:f} {basket.currency} or more: +{top.points}")
        )

    running = [c for c in setup.campaigns if c.running(now)]
    for campaign in (c for c in running if c.partner_id == partner):
        award, coupon = _campaign_awards(campaign, basket, exact, member.tier, partner)
        awards += [award] if award else []
        coupons += [coupon] if coupon else []

    tier = tier_by_code(coalition.tiers, member.tier)
    if tier is not None and tier.multiplier > 1:
        extra = _floor(sum(exact.values(), Decimal(0)) * (tier.multiplier - 1))
        if extra:
            awards.append(Award(extra, partner, f"{tier.name} tier x{_fmt(tier.multiplier)}: +{extra}"))

    caps = [c for c in (rules.max_points_per_transaction, coalition.limits.max_points_per_transaction) if c]
    if caps:
        awards += _cap(awards, min(caps), f"Capped at {min(caps)} points per purchase: -{{take}}", [partner])

    for campaign in (c for c in running if c.partner_id is None):
        award, coupon = _campaign_awards(campaign, basket, exact, member.tier, None)
        awards += [award] if award else []
        coupons += [coupon] if coupon else []

    completed: list[tuple[uuid.UUID, date]] = []
    for challenge in setup.challenges:
        if not (challenge.starts_at <= now < challenge.ends_at) or challenge.id in member.challenges_done:
            continue
        if not challenge.counts(partner):
            continue
        seen = member.partners_this_month if challenge.period is ChallengePeriod.MONTH else member.partners_this_week
        visited = {p for p in seen if challenge.counts(p)} | {partner}
        if len(visited) < challenge.distinct_partners:
            continue
        completed.append((challenge.id, period_start(challenge.period, today)))
        awards += _challenge_awards(challenge, partner)

    birthday_year = None
    bonuses = coalition.bonuses
    if (
        bonuses.birthday
        and member.birth_date is not None
        and member.birthday_bonus_year != today.year
        and in_birthday_period(member.birth_date, today, bonuses.birthday_period)
    ):
        birthday_year = today.year
        awards.append(Award(bonuses.birthday, None, f"Happy birthday (coalition bonus): +{bonuses.birthday}"))

    referral = None
    referral_qualified = (
        member.referrer_id is not None
        and not member.referral_paid
        and basket.amount >= bonuses.referral_min_purchase
        and bool(bonuses.referee or bonuses.referrer)
    )
    if referral_qualified and member.referrer_id is not None:
        if bonuses.referee:
            awards.append(
                Award(bonuses.referee, None, f"Welcome, referred member (coalition bonus): +{bonuses.referee}")
            )
        if bonuses.referrer:
            referral = ReferralPayout(
                member.referrer_id, bonuses.referrer, f"Your referral made a first purchase: +{bonuses.referrer}"
            )

    daily = coalition.limits.max_points_per_member_per_day
    if daily is not None:
        room = max(daily - member.points_today, 0)
        funders = [None, *sorted({a.funder for a in awards if a.funder is not None}, key=lambda f: f != partner)]
        awards += _cap(awards, room, f"Daily limit of {daily} points per member: -{{take}}", funders)

    stamps: dict[uuid.UUID, int] = {}
    for card in setup.stamp_cards:
        earned = _stamps(card, basket)
        if not earned:
            continue
        total = member.stamps.get(card.id, 0) + earned
        full, left = divmod(total, card.stamps_required)
        stamps[card.id] = left
        for _ in range(full):
            coupons.append(CouponGrant(card.reward_id, "STAMP_CARD", f"{card.name}: card full, coupon issued"))
        notes.append(f"{card.name}: +{earned} stamp{'s' if earned != 1 else ''}, {left}/{card.stamps_required}")
    notes += [coupon.line for coupon in coupons]

    new_tier = member.tier
    if coalition.tiers.tiers:
        gained = sum(a.points for a in awards) if coalition.tiers.basis == "POINTS" else basket.minor
        after = tier_after_earn(coalition.tiers, member.tier, member.qualifying + gained)
        new_tier = after.code if after else None

    return Earned(
        awards=(awards[0], *(a for a in awards[1:] if a.points)),
        notes=tuple(notes),
        stamps=stamps,
        coupons=tuple(coupons),
        challenges=tuple(completed),
        tier=new_tier,
        tier_changed=new_tier != member.tier,
        birthday_year=birthday_year,
        referral=referral,
        referral_qualified=referral_qualified,
    )


def _challenge_awards(challenge: Challenge, partner: uuid.UUID) -> list[Award]:
    line = f"{challenge.name} (cross-shop challenge, {challenge.distinct_partners} shops)"
    if challenge.funding is ChallengeFunding.COALITION or not challenge.partner_ids:
        return [Award(challenge.bonus_points, None, f"{line}, funded by the coalition: +{challenge.bonus_points}")]
    payers = sorted(challenge.partner_ids, key=lambda p: (p != partner, str(p)))
    share, remainder = divmod(challenge.bonus_points, len(payers))
    awards = []
    for index, payer in enumerate(payers):
        points = share + (remainder if index == 0 else 0)
        if points:
            awards.append(Award(points, payer, f"{line}, shared by {len(payers)} shops: +{points}"))
    return awards


def _stamps(card: StampCard, basket: Basket) -> int:
    if card.categories:
        return sum(line.quantity for line in basket.lines if line.category in card.categories)
    return 1 if basket.amount >= card.min_spend and basket.amount > 0 else 0


# ---------- checks when rules are saved ----------


def check_rate(rate: Decimal, *where: str) -> Decimal:
    try:
        ok = rate.is_finite() and Decimal(0) <= rate <= MAX_EARN_RATE
        places = -int(rate.as_tuple().exponent)
    except (InvalidOperation, TypeError, ValueError, AttributeError):
        ok, places = False, 0
    if not ok:
        raise validation(f"earn rate must be between 0 and {MAX_EARN_RATE}", *where)
    if places > 4:
        raise validation("earn rate has more than 4 decimals", *where)
    return rate


def check_earn_rate(rate: Decimal) -> Decimal:
    return check_rate(rate, "earnRatePerUnit")


def _within(rate: Decimal, limits: Limits, what: str, *where: str) -> None:
    if rate > limits.max_earn_rate:
        raise validation(
            f"{what} gives {_fmt(rate)} points per 1, above the coalition's maximum of {_fmt(limits.max_earn_rate)}",
            *where,
        )


def check_earn_rules(rules: EarnRules, limits: Limits) -> EarnRules:
    """Refuses rules that break the coalition's earn-rate band, so one shop
    cannot over-issue the shared currency at the others' expense."""
    check_rate(rules.base_rate, "baseRate")
    if rules.base_rate < limits.min_earn_rate:
        raise validation(
            f"base rate {_fmt(rules.base_rate)} is below the coalition's minimum of {_fmt(limits.min_earn_rate)}",
            "baseRate",
        )
    _within(rules.base_rate, limits, "base rate", "baseRate")
    seen: set[str] = set()
    for index, special in enumerate(rules.category_rates):
        where = ("categoryRates", str(index))
        if not 1 <= len(special.category) <= 64 or special.category in seen:
            raise validation("categories must be unique, 1-64 characters", *where, "category")
        seen.add(special.category)
        check_rate(special.rate, *where, "rate")
        _within(special.rate, limits, f"the rate for {special.category}", *where, "rate")
    for index, threshold in enumerate(rules.thresholds):
        where = ("thresholds", str(index))
        if not threshold.min_spend.is_finite() or threshold.min_spend <= 0:
            raise validation("minSpend must be positive", *where, "minSpend")
        if not 1 <= threshold.points <= MAX_RULE_POINTS:
            raise validation(f"points must be between 1 and {MAX_RULE_POINTS}", *where, "points")
        effective = rules.base_rate + Decimal(threshold.points) / threshold.min_spend
        _within(effective, limits, f"a spend of {_fmt(threshold.min_spend)}", *where, "points")
    if len({t.min_spend for t in rules.thresholds}) != len(rules.thresholds):
        raise validation("two thresholds have the same minSpend", "thresholds")
    cap = rules.max_points_per_transaction
    if cap is not None and not 1 <= cap <= MAX_RULE_POINTS:
        raise validation(f"must be between 1 and {MAX_RULE_POINTS}", "maxPointsPerTransaction")
    return rules


def check_campaign(campaign: Campaign, rules: EarnRules | None, limits: Limits) -> Campaign:
    if not 1 <= len(campaign.name.strip()) <= 120:
        raise validation("name must be 1-120 characters", "name")
    if campaign.starts_at.tzinfo is None or campaign.ends_at.tzinfo is None:
        raise validation("startsAt and endsAt must carry a time zone offset", "startsAt")
    if campaign.ends_at <= campaign.starts_at:
        raise validation("endsAt must be after startsAt", "endsAt")
    if campaign.min_spend is not None and (not campaign.min_spend.is_finite() or campaign.min_spend < 0):
        raise validation("minSpend must not be negative", "minSpend")
    if campaign.kind is CampaignKind.MULTIPLIER:
        m = campaign.multiplier
        if m is None or not m.is_finite() or not Decimal(1) < m <= Decimal(10):
            raise validation("a multiplier campaign needs a multiplier above 1 and at most 10", "multiplier")
        if rules is not None:
            top = max([rules.base_rate] + [c.rate for c in rules.category_rates if c.category in campaign.categories])
            _within(top * m, limits, f"x{_fmt(m)} on this shop's rate", "multiplier")
    elif campaign.kind is CampaignKind.FIXED_BONUS:
        if campaign.bonus_points is None or not 1 <= campaign.bonus_points <= MAX_RULE_POINTS:
            raise validation(f"a fixed bonus needs bonusPoints between 1 and {MAX_RULE_POINTS}", "bonusPoints")
        if rules is not None:
            if not campaign.min_spend:
                raise validation("a shop's fixed bonus needs a minSpend, to keep to the earn-rate band", "minSpend")
            effective = rules.base_rate + Decimal(campaign.bonus_points) / campaign.min_spend
            _within(effective, limits, f"a bonus on a spend of {_fmt(campaign.min_spend)}", "bonusPoints")
    elif campaign.reward_id is None:
        raise validation("a coupon campaign needs a rewardId", "rewardId")
    return campaign


def check_challenge(challenge: Challenge) -> Challenge:
    if not 1 <= len(challenge.name.strip()) <= 120:
        raise validation("name must be 1-120 characters", "name")
    if not 2 <= challenge.distinct_partners <= 50:
        raise validation("distinctPartners must be between 2 and 50", "distinctPartners")
    if challenge.partner_ids and len(challenge.partner_ids) < challenge.distinct_partners:
        raise validation("fewer shops take part than the challenge asks for", "partnerIds")
    if not 1 <= challenge.bonus_points <= MAX_RULE_POINTS:
        raise validation(f"bonusPoints must be between 1 and {MAX_RULE_POINTS}", "bonusPoints")
    if challenge.funding is ChallengeFunding.SHARED and not challenge.partner_ids:
        raise validation("a shared challenge names the shops that share its cost", "partnerIds")
    if challenge.ends_at <= challenge.starts_at:
        raise validation("endsAt must be after startsAt", "endsAt")
    return challenge


def check_stamp_card(card: StampCard) -> StampCard:
    if not 1 <= len(card.name.strip()) <= 120:
        raise validation("name must be 1-120 characters", "name")
    if not 2 <= card.stamps_required <= 100:
        raise validation("stampsRequired must be between 2 and 100", "stampsRequired")
    if not card.min_spend.is_finite() or card.min_spend < 0:
        raise validation("minSpend must not be negative", "minSpend")
    return card
