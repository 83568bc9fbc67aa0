"""A redemption says what it did, and a refusal for want of points says how
many there are."""

from __future__ import annotations

import uuid

import pytest

from coalition.partners.rewards import RewardSpec, buy_reward, create_reward
from coalition.platform.errors import DomainError, ErrorCode
from coalition.platform.members.repository import members_by_ids


async def test_a_redemption_explains_the_points_and_the_shop(town) -> None:
    bakery, _ = await town.partner("Bakery Bloem")
    _, card = await town.member(bakery)
    await town.earn(bakery, card, "200.00")
    redeemed = await town.redeem(bakery, card, 120)
    assert redeemed.explanation == ["Redeemed 120 points at Bakery Bloem"]
    one = await town.redeem(bakery, card, 1)
    assert one.explanation == ["Redeemed 1 point at Bakery Bloem"]
    replayed = await town.ledger.redeem(bakery, idempotency_key="same", card_number=card, points=5, receipt_ref=None)
    again = await town.ledger.redeem(bakery, idempotency_key="same", card_number=card, points=5, receipt_ref=None)
    assert again.explanation == replayed.explanation == ["Redeemed 5 points at Bakery Bloem"]


async def test_a_reward_bought_with_points_is_explained_too(town) -> None:
    shop, _ = await town.partner("Corner Coffee")
    member_id, card = await town.member(shop)
    await town.earn(shop, card, "400.00")
    async with town.sessions.begin() as session:
        reward = await create_reward(
            session, town.operator, shop, RewardSpec("Free coffee", "FREE_PRODUCT", 300, None, 30)
        )
    async with town.sessions.begin() as session:
        member = (await members_by_ids(session, [member_id]))[0]
        posting, _ = await buy_reward(session, member, reward.id, uuid.uuid4().hex)
    assert posting.explanation == ["Redeemed 300 points at Corner Coffee"]


async def test_not_enough_points_says_how_many_are_available(town) -> None:
    shop, _ = await town.partner()
    _, card = await town.member(shop)
    await town.earn(shop, card, "120.00")
    with pytest.raises(DomainError) as refused:
        await town.redeem(shop, card, 121)
    assert refused.value.code is ErrorCode.INSUFFICIENT_POINTS
    assert refused.value.message == "not enough available points: only 120 points are available"
    await town.redeem(shop, card, 119)
    with pytest.raises(DomainError) as refused:
        await town.redeem(shop, card, 2)
    assert refused.value.message == "not enough available points: only 1 point is available"
