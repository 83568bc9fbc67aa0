"""Changing the coalition's rules section by section."""

from __future__ import annotations

from decimal import Decimal

from coalition.platform.programme.rules import (
    Bonuses,
    CoalitionRules,
    CoalitionRulesChanges,
    DonationMatching,
    EnrolmentMode,
    Limits,
    Tier,
    TierPolicy,
    Transfers,
    merge,
)

CURRENT = CoalitionRules(
    limits=Limits(max_earn_rate=Decimal(6)),
    bonuses=Bonuses(signup=50),
    tiers=TierPolicy(tiers=(Tier("BRONZE", "Bronze", 0),)),
    transfers=Transfers(enabled=True),
    donation_matching=DonationMatching(percent=50),
    language="nl",
)


def test_no_changes_keep_every_section() -> None:
    assert merge(CURRENT, CoalitionRulesChanges()) == CURRENT


def test_a_named_section_replaces_only_that_section() -> None:
    merged = merge(CURRENT, CoalitionRulesChanges(bonuses=Bonuses(birthday=100), enrolment=EnrolmentMode.INVITE_ONLY))
    assert merged.bonuses == Bonuses(birthday=100)  # the whole section: signup is not kept
    assert merged.enrolment is EnrolmentMode.INVITE_ONLY
    assert (merged.limits, merged.tiers, merged.transfers, merged.donation_matching, merged.language) == (
        CURRENT.limits,
        CURRENT.tiers,
        CURRENT.transfers,
        CURRENT.donation_matching,
        CURRENT.language,
    )


def test_replacing_gives_the_rules_whatever_they_were() -> None:
    wanted = CoalitionRules(transfers=Transfers(enabled=False, max_points_per_transfer=5))
    assert merge(CURRENT, CoalitionRulesChanges.replacing(wanted)) == wanted
