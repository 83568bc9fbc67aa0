"""Checks of a partner's rules when they are saved, against the coalition's
earn-rate band. Pure: no I/O."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from coalition.partners.earning.model import (
    Audience,
    AudienceKind,
    Campaign,
    CampaignKind,
    Challenge,
    ChallengeFunding,
    EarnRules,
    StampCard,
    fmt_decimal,
)
from coalition.platform.errors import validation
from coalition.platform.programme.rules import Limits

MAX_EARN_RATE = Decimal("1000")
MAX_RULE_POINTS = 1_000_000


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
            f"{what} gives {fmt_decimal(rate)} points per 1,"
            f" above the coalition's maximum of {fmt_decimal(limits.max_earn_rate)}",
            *where,
        )


def check_earn_rules(rules: EarnRules, limits: Limits) -> EarnRules:
    """Refuses rules that break the coalition's earn-rate band, so one shop
    cannot over-issue the shared currency at the others' expense."""
    check_rate(rules.base_rate, "baseRate")
    if rules.base_rate < limits.min_earn_rate:
        raise validation(
            f"base rate {fmt_decimal(rules.base_rate)}"
            f" is below the coalition's minimum of {fmt_decimal(limits.min_earn_rate)}",
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
        _within(effective, limits, f"a spend of {fmt_decimal(threshold.min_spend)}", *where, "points")
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
            _within(top * m, limits, f"x{fmt_decimal(m)} on this shop's rate", "multiplier")
    elif campaign.kind is CampaignKind.FIXED_BONUS:
        if campaign.bonus_points is None or not 1 <= campaign.bonus_points <= MAX_RULE_POINTS:
            raise validation(f"a fixed bonus needs bonusPoints between 1 and {MAX_RULE_POINTS}", "bonusPoints")
        if rules is not None:
            if not campaign.min_spend:
                raise validation("a shop's fixed bonus needs a minSpend, to keep to the earn-rate band", "minSpend")
            effective = rules.base_rate + Decimal(campaign.bonus_points) / campaign.min_spend
            _within(effective, limits, f"a bonus on a spend of {fmt_decimal(campaign.min_spend)}", "bonusPoints")
    elif campaign.reward_id is None:
        raise validation("a coupon campaign needs a rewardId", "rewardId")
    if campaign.audience is not None:
        check_audience(campaign.audience)
    return campaign


# A holdout under 1% measures nothing; over half, most of the audience never gets the campaign.
MIN_HOLDOUT_SHARE = Decimal("0.01")
MAX_HOLDOUT_SHARE = Decimal("0.5")


def check_audience(audience: Audience) -> Audience:
    """The shape of an aimed campaign's audience; whether a segment's name is
    known is insights' to say (``coalition.insights.audiences``)."""
    if audience.kind is AudienceKind.SEGMENT and not audience.segment:
        raise validation("a campaign aimed at a segment names the segment", "audience", "segment")
    if audience.kind is AudienceKind.LAPSED and audience.segment is not None:
        raise validation("a campaign aimed at the lapsed list names no segment", "audience", "segment")
    share = audience.holdout_share
    if share is not None:
        try:
            ok = share.is_finite() and MIN_HOLDOUT_SHARE <= share <= MAX_HOLDOUT_SHARE
            places = -int(share.normalize().as_tuple().exponent)
        except (InvalidOperation, TypeError, ValueError, AttributeError):
            ok, places = False, 0
        if not ok or places > 3:
            raise validation(
                f"the holdout share must be between {MIN_HOLDOUT_SHARE} and {MAX_HOLDOUT_SHARE},"
                " with at most 3 decimals",
                "audience",
                "holdoutShare",
            )
    return audience


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
