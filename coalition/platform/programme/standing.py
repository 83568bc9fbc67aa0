"""Where a member stands in the coalition's tiers, as a member's app or a page
shows it. Pure: no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from coalition.platform.money import to_major
from coalition.platform.programme.repository import Activity
from coalition.platform.programme.rules import TierBasis, TierPolicy, standing


@dataclass(frozen=True)
class TierStanding:
    code: str | None  # None: below the first tier
    name: str | None
    benefits: tuple[str, ...]
    progress: Decimal  # 0..1 of the way from this tier's threshold to the next
    # Tiers by points: the points still to earn (0 at the top); by spend: None.
    points_to_next: int | None
    # Tiers by spend: the money still to spend, in the currency (0 at the top); by points: None.
    spend_to_next: Decimal | None
    next_tier: str | None  # its name; None at the top
    qualifying: int  # points, or minor units when the tiers go by spend, over the window


def member_standing(policy: TierPolicy, activity: Activity | None, currency: str) -> TierStanding | None:
    """None when the coalition has no tiers; a member with no activity yet
    stands at nothing qualifying."""
    if not policy.tiers:
        return None
    by_points = policy.basis is TierBasis.POINTS
    qualifying = 0 if activity is None else activity.points if by_points else activity.spend_minor
    now = standing(policy, activity.tier_code if activity else None, qualifying)
    return TierStanding(
        code=now.tier.code if now.tier else None,
        name=now.tier.name if now.tier else None,
        benefits=now.tier.benefits if now.tier else (),
        progress=now.progress,
        points_to_next=(now.to_next if now.next_tier else 0) if by_points else None,
        spend_to_next=None if by_points else to_major(now.to_next, currency),
        next_tier=now.next_tier.name if now.next_tier else None,
        qualifying=qualifying,
    )
