"""What the API reads about partners' programmes: earn rules, campaigns,
challenges, stamp cards, rewards and coupons."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from coalition.partners.earning.model import Campaign, Challenge, EarnRules
from coalition.partners.repositories import programme as repository
from coalition.partners.repositories import rewards as reward_repository
from coalition.partners.repositories.programme import StampCardRecord as StampCardRecord
from coalition.partners.repositories.rewards import CouponRecord as CouponRecord
from coalition.partners.repositories.rewards import RewardRecord as RewardRecord
from coalition.partners.rewards import normalise_coupon_code
from coalition.platform.runtime.database import Executor


def _running_after(include_ended: bool) -> datetime | None:
    return None if include_ended else datetime.now(UTC)


async def earn_rules(connection: Executor, partner_id: uuid.UUID) -> EarnRules | None:
    return await repository.earn_rules(connection, partner_id)


async def payout_iban(connection: Executor, partner_id: uuid.UUID) -> str | None:
    """The account the coalition pays the partner into, as stored."""
    return await repository.iban(connection, partner_id)


async def campaigns(
    connection: Executor, coalition_id: uuid.UUID, *, partner_id: uuid.UUID | None, include_ended: bool
) -> list[Campaign]:
    """Campaigns running or to come (or every one), a partner's own and the
    coalition-wide ones; every partner's when ``partner_id`` is None."""
    return await repository.campaign_list(
        connection, coalition_id, partner_id=partner_id, ending_after=_running_after(include_ended)
    )


async def challenges(connection: Executor, coalition_id: uuid.UUID, *, include_ended: bool) -> list[Challenge]:
    return await repository.challenge_list(connection, coalition_id, _running_after(include_ended))


async def stamp_cards_of_coalitions(
    connection: Executor, coalition_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[StampCardRecord]]:
    """The active stamp cards of each coalition, oldest first."""
    return {
        coalition_id: await repository.coalition_stamp_cards(connection, coalition_id) for coalition_id in coalition_ids
    }


async def stamps_of_members(connection: Executor, member_ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[uuid.UUID, int]]:
    """Per member, the stamps on each card's current round."""
    return await repository.member_stamps(connection, member_ids)


async def rewards_by_id(connection: Executor, ids: list[uuid.UUID]) -> dict[uuid.UUID, RewardRecord]:
    return {reward.id: reward for reward in await reward_repository.rewards_by_ids(connection, ids)}


async def rewards(
    connection: Executor, coalition_id: uuid.UUID, *, partner_id: uuid.UUID | None, active_only: bool
) -> list[RewardRecord]:
    """The catalogue, cheapest first; ``active_only`` leaves out withdrawn
    rewards and those of shops that are not active."""
    return await reward_repository.reward_list(connection, coalition_id, partner_id, active_only)


async def coupons_of_members(connection: Executor, member_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[CouponRecord]]:
    return await reward_repository.member_coupons(connection, member_ids)


async def coupons_of_transactions(
    connection: Executor, transaction_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[CouponRecord]]:
    return await reward_repository.coupons_of_transactions(connection, transaction_ids)


async def coupon_by_code(connection: Executor, coalition_id: uuid.UUID, code: str) -> CouponRecord | None:
    """The coupon as a till reads it, whatever the case and separators it was typed with."""
    return await reward_repository.coupon_by_code(connection, coalition_id, normalise_coupon_code(code))
