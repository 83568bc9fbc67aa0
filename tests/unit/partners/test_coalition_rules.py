"""Coalition-wide rules: tiers and their review, bonuses, and the checks on saving."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from coalition.platform.errors import DomainError
from coalition.platform.members.rules import check_referral
from coalition.platform.programme.rules import (
    BirthdayPeriod,
    CoalitionRules,
    DonationMatching,
    Limits,
    Tier,
    TierPolicy,
    check_coalition_rules,
    donation_match,
    in_birthday_period,
    standing,
    tier_after_earn,
    tier_after_review,
)

POLICY = TierPolicy(
    retention_days=30,
    tiers=(Tier("BRONZE", "Bronze", 0), Tier("SILVER", "Silver", 1000), Tier("GOLD", "Gold", 5000)),
)
DAY = date(2026, 11, 20)


def test_an_earn_only_moves_a_member_up() -> None:
    assert tier_after_earn(POLICY, "BRONZE", 1000).code == "SILVER"  # type: ignore[union-attr]
    assert tier_after_earn(POLICY, "GOLD", 10).code == "GOLD"  # type: ignore[union-attr]
    assert tier_after_earn(POLICY, None, 0).code == "BRONZE"  # type: ignore[union-attr]


def test_the_review_keeps_a_tier_for_the_retention_period_then_steps_down_one_level() -> None:
    since = DAY - timedelta(days=10)
    assert tier_after_review(POLICY, "GOLD", since, 0, DAY).code == "GOLD"  # type: ignore[union-attr]
    long_ago = DAY - timedelta(days=30)
    assert tier_after_review(POLICY, "GOLD", long_ago, 0, DAY).code == "SILVER"  # type: ignore[union-attr]
    assert tier_after_review(POLICY, "SILVER", long_ago, 7000, DAY).code == "GOLD"  # type: ignore[union-attr]


def test_standing_shows_progress_to_the_next_tier() -> None:
    now = standing(POLICY, "SILVER", 2000)
    assert (now.tier.code, now.next_tier.code, now.to_next, now.progress) == (  # type: ignore[union-attr]
        "SILVER", "GOLD", 3000, Decimal("0.25"),
    )  # fmt: skip
    top = standing(POLICY, "GOLD", 9000)
    assert (top.next_tier, top.to_next, top.progress) == (None, 0, Decimal(1))


def test_a_29_february_birthday_falls_on_28_february_in_other_years() -> None:
    assert in_birthday_period(date(2000, 2, 29), date(2026, 2, 28), BirthdayPeriod.WEEK)
    assert in_birthday_period(date(2000, 2, 29), date(2026, 2, 1), BirthdayPeriod.MONTH)
    assert not in_birthday_period(date(2000, 3, 1), date(2026, 2, 28), BirthdayPeriod.MONTH)


def test_donation_matching_respects_its_cap() -> None:
    assert donation_match(DonationMatching(percent=50), 101) == 50
    assert donation_match(DonationMatching(percent=100, max_points_per_donation=30), 100) == 30


@pytest.mark.parametrize(
    ("rules", "field"),
    [
        (CoalitionRules(limits=Limits(min_earn_rate=Decimal(3), max_earn_rate=Decimal(2))), ("limits", "minEarnRate")),
        (CoalitionRules(limits=Limits(max_points_per_member_per_day=0)), ("limits", "maxPointsPerMemberPerDay")),
        (CoalitionRules(tiers=replace(POLICY, tiers=POLICY.tiers[1:])), ("tiers", "tiers", "0")),
        (
            CoalitionRules(tiers=replace(POLICY, tiers=(Tier("A", "A", 0), Tier("B", "B", 0)))),
            ("tiers", "tiers", "1", "threshold"),
        ),
        (
            CoalitionRules(tiers=replace(POLICY, tiers=(Tier("A", "A", 0, Decimal("0.5")),))),
            ("tiers", "tiers", "0", "multiplier"),
        ),
        (CoalitionRules(donation_matching=DonationMatching(percent=101)), ("donationMatching", "percent")),
        (CoalitionRules(language="de"), ("language",)),
    ],
)
def test_rules_that_cannot_be_applied_are_refused_with_their_field(
    rules: CoalitionRules, field: tuple[str, ...]
) -> None:
    with pytest.raises(DomainError) as refused:
        check_coalition_rules(rules)
    assert refused.value.field == field


def test_self_referral_and_loops_are_refused() -> None:
    with pytest.raises(DomainError, match="own referral code"):
        check_referral("me", ["me"])
    with pytest.raises(DomainError, match="loop"):
        check_referral("me", ["friend", "their friend", "me"])
    check_referral("me", ["friend", "their friend"])
