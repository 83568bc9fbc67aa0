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
from datetime import date, datetime
from decimal import ROUND_FLOOR, Decimal

from coalition.partners.earning.model import (
    Award,
    Basket,
    Campaign,
    CampaignKind,
    Challenge,
    ChallengeFunding,
    ChallengePeriod,
    CouponGrant,
    Earned,
    EarnRules,
    MemberState,
    ReferralPayout,
    Setup,
    StampCard,
    fmt_decimal,
    period_start,
)
from coalition.platform.programme.rules import (
    in_birthday_period,
    tier_after_earn,
    tier_by_code,
)


def _floor(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_FLOOR))


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
                    f"{rated.category}: {fmt_decimal(rated.rate)} per 1 {basket.currency} on "
                    f"{spent:f} {basket.currency}: {points} points",
                )
            )
    base_points = _floor(rest * rules.base_rate)
    awards.insert(
        0,
        Award(
            base_points,
            basket.partner_id,
            f"Base rate {fmt_decimal(rules.base_rate)} per 1 {basket.currency} on {rest:f} {basket.currency}: "
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
    member: MemberState,
    funder: uuid.UUID | None,
) -> tuple[Award | None, CouponGrant | None]:
    if campaign.tiers and member.tier not in campaign.tiers:
        return None, None
    # Aimed at an audience: outside it, or held out to measure it, the member does not get it.
    if campaign.audience is not None and campaign.id not in member.campaigns:
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
        return Award(
            extra, funder, f"{campaign.name} ({who} campaign, x{fmt_decimal(campaign.multiplier)}): +{extra}"
        ), None
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
        award, coupon = _campaign_awards(campaign, basket, exact, member, partner)
        awards += [award] if award else []
        coupons += [coupon] if coupon else []

    tier = tier_by_code(coalition.tiers, member.tier)
    if tier is not None and tier.multiplier > 1:
        extra = _floor(sum(exact.values(), Decimal(0)) * (tier.multiplier - 1))
        if extra:
            awards.append(Award(extra, partner, f"{tier.name} tier x{fmt_decimal(tier.multiplier)}: +{extra}"))

    caps = [c for c in (rules.max_points_per_transaction, coalition.limits.max_points_per_transaction) if c]
    if caps:
        awards += _cap(awards, min(caps), f"Capped at {min(caps)} points per purchase: -{{take}}", [partner])

    for campaign in (c for c in running if c.partner_id is None):
        award, coupon = _campaign_awards(campaign, basket, exact, member, None)
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
