"""A member's tier standing, as every entry point shows it."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from coalition.platform.programme.repository import Activity
from coalition.platform.programme.rules import Tier, TierBasis, TierPolicy
from coalition.platform.programme.standing import TierStanding, member_standing

TIERS = (
    Tier("BRONZE", "Bronze", 0),
    Tier("SILVER", "Silver", 1000, Decimal("1.25"), ("Early access",)),
    Tier("GOLD", "Gold", 3000, Decimal("1.5"), ("Gift wrapping", "Free check-up")),
)


def _activity(tier: str | None, points: int = 0, spend_minor: int = 0) -> Activity:
    return Activity(uuid.uuid4(), tier, date(2026, 1, 1), points, spend_minor)


def test_no_tiers_means_no_standing() -> None:
    assert member_standing(TierPolicy(), _activity(None, 500), "EUR") is None


def test_a_member_between_tiers_by_points() -> None:
    standing = member_standing(TierPolicy(tiers=TIERS), _activity("SILVER", points=2000), "EUR")
    assert standing == TierStanding(
        code="SILVER",
        name="Silver",
        benefits=("Early access",),
        progress=Decimal("0.5"),
        points_to_next=1000,
        spend_to_next=None,
        next_tier="Gold",
        qualifying=2000,
    )


def test_at_the_top_nothing_is_left_to_earn() -> None:
    standing = member_standing(TierPolicy(tiers=TIERS), _activity("GOLD", points=9000), "EUR")
    assert standing is not None
    assert (standing.code, standing.points_to_next, standing.next_tier, standing.progress) == (
        "GOLD",
        0,
        None,
        Decimal(1),
    )


def test_tiers_by_spend_count_money_in_the_currency() -> None:
    policy = TierPolicy(basis=TierBasis.SPEND, tiers=TIERS)
    standing = member_standing(policy, _activity("BRONZE", points=99_999, spend_minor=250), "EUR")
    assert standing is not None
    assert standing.points_to_next is None
    assert standing.spend_to_next == Decimal("7.50")
    assert standing.qualifying == 250
    assert standing.progress == Decimal("0.25")


def test_a_member_with_no_activity_yet_stands_at_zero() -> None:
    standing = member_standing(TierPolicy(tiers=TIERS), None, "EUR")
    assert standing is not None
    assert (standing.code, standing.qualifying, standing.points_to_next, standing.next_tier) == (
        "BRONZE",
        0,
        1000,
        "Silver",
    )
