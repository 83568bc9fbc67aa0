"""Programme rules under racing tills: caps, stamps, challenges and coupons
hold when purchases for one card arrive at the same moment."""

import asyncio
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from coalition.partners import programme as partner_programme
from coalition.partners import rewards as partner_rewards
from coalition.partners.earning.model import Challenge, ChallengeFunding, ChallengePeriod, StampCard
from coalition.partners.earning.till import BasketLine, earn_points
from coalition.partners.tables import challenge_completions, coupons, stamp_progress
from coalition.platform.errors import DomainError
from coalition.platform.programme.rules import CoalitionRules, CoalitionRulesChanges, Limits


async def _coalition_rules(town, rules: CoalitionRules) -> None:
    async with town.sessions.begin() as session:
        await partner_programme.save_coalition_rules(session, town.operator, CoalitionRulesChanges.replacing(rules))


async def test_the_daily_cap_holds_when_twenty_purchases_race(town) -> None:
    await _coalition_rules(town, CoalitionRules(limits=Limits(max_points_per_member_per_day=500)))
    shop, _ = await town.partner(rate="1")
    _, card = await town.member(shop)
    results = await asyncio.gather(*(town.earn(shop, card, "100") for _ in range(20)))
    assert sum(r.points for r in results) == 500
    assert sorted(r.points for r in results)[-5:] == [100] * 5
    assert results[0].balance is not None
    assert max(r.balance for r in results) == 500
    assert await town.ledger_violations() == []


async def test_stamps_are_counted_once_each_when_purchases_race(town) -> None:
    shop, _ = await town.partner(rate="1")
    _, card = await town.member(shop)
    async with town.sessions.begin() as session:
        reward = await partner_rewards.create_reward(
            session, town.operator, shop, partner_rewards.RewardSpec("Free coffee", "FREE_PRODUCT", None, None, 30)
        )
        made = await partner_programme.create_stamp_card(
            session, town.operator, shop, StampCard(uuid.uuid4(), "Coffee", 4, reward.id, ("coffee",))
        )
    coffee = [BasketLine("espresso", "coffee", 1, Decimal("2.50"))]

    async def buy() -> object:
        return await earn_points(
            town.ledger, town.setups, shop, idempotency_key=uuid.uuid4().hex, card_number=card,
            amount=Decimal("2.50"), receipt_ref=None, lines=coffee, occurred_at=None,
        )  # fmt: skip

    await asyncio.gather(*(buy() for _ in range(10)))
    async with town.engine.connect() as c:
        stamps = await c.scalar(select(stamp_progress.c.stamps).where(stamp_progress.c.card_id == made.card.id))
        issued = await c.scalar(select(func.count()).where(coupons.c.reward_id == reward.id))
    assert (issued, stamps) == (2, 2)  # 10 stamps on cards of 4: two full cards, 2 on the third


async def test_a_challenge_is_paid_once_when_the_qualifying_purchases_race(town) -> None:
    shops = [(await town.partner(f"Shop {n}", rate="1"))[0] for n in range(4)]
    _, card = await town.member(shops[0])
    now = datetime.now(UTC)
    challenge = Challenge(
        uuid.uuid4(), "Three shops", 3, ChallengePeriod.MONTH, 500, ChallengeFunding.COALITION, (),
        now - timedelta(days=1), now + timedelta(days=40),
    )  # fmt: skip
    async with town.sessions.begin() as session:
        await partner_programme.create_challenge(session, town.operator, challenge)
    await town.earn(shops[0], card, "10")
    results = await asyncio.gather(*(town.earn(shop, card, "10") for shop in shops[1:] * 3))
    assert sum(r.points for r in results) == 9 * 10 + 500
    async with town.engine.connect() as c:
        assert await c.scalar(select(func.count()).select_from(challenge_completions)) >= 1
    assert await town.ledger_violations() == []


async def test_five_tills_burning_one_coupon_at_once_burn_it_once(town) -> None:
    shop, _ = await town.partner(rate="1")
    member_id, card = await town.member(shop)
    await town.earn(shop, card, "100")
    async with town.sessions.begin() as session:
        reward = await partner_rewards.create_reward(
            session, town.operator, shop, partner_rewards.RewardSpec("Cake", "FREE_PRODUCT", 50, None, 30)
        )
    async with town.sessions.begin() as session:
        from coalition.platform.members.repository import members_by_ids

        member = (await members_by_ids(session, [member_id]))[0]
        _, coupon = await partner_rewards.buy_reward(session, member, reward.id, "cake-1")
    till = replace(town.operator, kind="PARTNER", partner_id=shop)

    async def burn() -> str:
        try:
            async with town.sessions.begin() as session:
                await partner_rewards.use_coupon(session, till, coupon.code, None)
            return "USED"
        except DomainError as refused:
            return refused.code

    assert sorted(await asyncio.gather(*(burn() for _ in range(5)))) == ["CONFLICT"] * 4 + ["USED"]
