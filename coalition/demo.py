"""``coalition demo``: a small town's coalition with shops, members and a few
weeks of trade, posted through the same services the API uses."""

from __future__ import annotations

import asyncio
import contextlib
import random
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from coalition.partners import lifecycle
from coalition.partners import programme as partner_programme
from coalition.partners import rewards as partner_rewards
from coalition.partners.earning.model import (
    Campaign,
    CampaignKind,
    CategoryRate,
    Challenge,
    ChallengeFunding,
    ChallengePeriod,
    EarnRules,
    StampCard,
    Threshold,
)
from coalition.partners.earning.till import BasketLine, TillSetups, earn_points
from coalition.platform.auth.service import Principal, issue
from coalition.platform.auth.tokens import CredentialKind, PartnerRole
from coalition.platform.coalitions.repository import coalition_by_slug
from coalition.platform.coalitions.service import create_coalition
from coalition.platform.errors import DomainError
from coalition.platform.ledger.repository import PostingGateway
from coalition.platform.ledger.service import LedgerService
from coalition.platform.members import service as members
from coalition.platform.programme import service as programme
from coalition.platform.programme.rules import (
    Bonuses,
    CoalitionRulesChanges,
    DonationMatching,
    Limits,
    Tier,
    TierPolicy,
    Transfers,
)
from coalition.platform.runtime.database import AsyncSession, create_engine, create_sessionmaker
from coalition.platform.runtime.settings import Settings

SLUG = "demo"

# (name, points per euro, typical basket in euro)
SHOPS = [
    ("Bakkerij De Korenschoof", Decimal("2"), (3, 18)),
    ("Koffiebar Bonen & Zo", Decimal("3"), (3, 12)),
    ("Boekhandel Het Leeshuis", Decimal("1"), (10, 60)),
    ("Fietsenmaker Van Dam", Decimal("0.5"), (15, 400)),
    ("Bloemenhuis Flora", Decimal("1.5"), (8, 45)),
    ("Slagerij Jansen", Decimal("1"), (8, 55)),
]


async def seed(settings: Settings, *, members: int, days: int) -> dict[str, str]:
    """Seed once (a second run only issues fresh tokens); return labelled tokens."""
    assert settings.database_url is not None
    engine = create_engine(settings.database_url, pool_size=8)
    sessions = create_sessionmaker(engine)
    try:
        async with sessions.begin() as session:
            existing = await coalition_by_slug(session, SLUG)
        if existing is None:
            return await _seed_new(engine, sessions, members, days)
        return await _fresh_tokens(sessions, existing.id)
    finally:
        await engine.dispose()


async def _fresh_tokens(sessions: async_sessionmaker[AsyncSession], coalition_id: uuid.UUID) -> dict[str, str]:
    from sqlalchemy import select

    from coalition.platform.coalitions.tables import partners as partners_table
    from coalition.platform.members.tables import members as members_table

    async with sessions.begin() as session:
        _, operator = await issue(session, coalition_id=coalition_id, kind=CredentialKind.OPERATOR)
        partner_id = (
            await session.execute(
                select(partners_table.c.id)
                .where(partners_table.c.coalition_id == coalition_id)
                .order_by(partners_table.c.id)
                .limit(1)
            )
        ).scalar_one()
        _, pos = await issue(
            session,
            coalition_id=coalition_id,
            kind=CredentialKind.PARTNER,
            partner_id=partner_id,
            role=PartnerRole.POS,
        )
        member = (
            await session.execute(
                select(members_table.c.id, members_table.c.card_number)
                .where(members_table.c.coalition_id == coalition_id)
                .order_by(members_table.c.id)
                .limit(1)
            )
        ).one()
        _, member_token = await issue(
            session, coalition_id=coalition_id, kind=CredentialKind.MEMBER, member_id=member.id
        )
    return {
        "operator token": operator,
        "till (POS) key of the first shop": pos,
        f"member token (card {member.card_number})": member_token,
    }


async def _programme(session: AsyncSession, operator: Principal, shop_ids: list[uuid.UUID]) -> None:
    """What a town would run: tiers, bonuses, a cross-shop challenge, a coffee
    stamp card, rewards to buy with points, a charity."""
    now = datetime.now(UTC)
    bakery, coffee, books = shop_ids[0], shop_ids[1], shop_ids[2]
    await partner_programme.save_coalition_rules(
        session,
        operator,
        CoalitionRulesChanges(
            limits=Limits(min_earn_rate=Decimal("0.5"), max_earn_rate=Decimal(6), max_points_per_member_per_day=5000),
            bonuses=Bonuses(signup=50, birthday=100, referrer=200, referee=100, referral_min_purchase=Decimal(10)),
            tiers=TierPolicy(
                tiers=(
                    Tier("BRONZE", "Bronze", 0),
                    Tier("SILVER", "Silver", 1000, Decimal("1.25"), ("Early access to the Christmas market",)),
                    Tier("GOLD", "Gold", 3000, Decimal("1.5"), ("Free bicycle check-up", "Gift wrapping")),
                )
            ),
            transfers=Transfers(enabled=True, max_points_per_transfer=1000, max_points_per_day=2000),
            donation_matching=DonationMatching(percent=50, max_points_per_donation=500),
        ),
    )
    await partner_programme.create_challenge(
        session,
        operator,
        Challenge(uuid.uuid4(), "Shop around town", 3, ChallengePeriod.MONTH, 250, ChallengeFunding.COALITION, (),
                  now - timedelta(days=60), now + timedelta(days=365)),
    )  # fmt: skip
    await partner_programme.set_earn_rules(
        session,
        operator,
        books,
        EarnRules(Decimal(1), (CategoryRate("children", Decimal(2)),), (Threshold(Decimal(50), 50),)),
    )
    await partner_programme.create_campaign(
        session,
        operator,
        Campaign(uuid.uuid4(), "Pastry week", coffee, CampaignKind.MULTIPLIER, now - timedelta(days=3),
                 now + timedelta(days=4), multiplier=Decimal(2), categories=("pastry",)),
    )  # fmt: skip
    free_coffee = await partner_rewards.create_reward(
        session, operator, coffee, partner_rewards.RewardSpec("Free coffee", "FREE_PRODUCT", 300, None, 30)
    )
    await partner_programme.create_stamp_card(
        session, operator, coffee, StampCard(uuid.uuid4(), "Coffee card", 10, free_coffee.id, ("coffee",))
    )
    await partner_rewards.create_reward(
        session, operator, bakery, partner_rewards.RewardSpec("Free croissant", "FREE_PRODUCT", 150, None, 14)
    )
    await partner_rewards.create_reward(
        session, operator, books, partner_rewards.RewardSpec("5 euro off", "FIXED_DISCOUNT", 500, Decimal(5), 60)
    )
    await programme.create_charity(session, operator, "Voedselbank", "The town's food bank")


async def _seed_new(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession], member_count: int, days: int
) -> dict[str, str]:
    rng = random.Random(2026)
    async with sessions.begin() as session:
        coalition, _ = await create_coalition(
            session, slug=SLUG, name="Demo Town Shops", currency="EUR", point_value="0.01",
            timezone="Europe/Amsterdam", points_name="Town Points", pending_days=0, expiry_months=12,
        )  # fmt: skip
        principal = Principal.local_operator(coalition.id, via="coalition demo")
        shops = []
        for name, rate, basket in SHOPS:
            partner, _ = await lifecycle.create_partner(
                session, principal, name=name, earn_rate_per_unit=rate, iban=None
            )
            await lifecycle.set_status(session, principal, partner.id, "ACTIVE")
            shops.append((partner.id, basket))
        await _programme(session, principal, [shop_id for shop_id, _ in shops])
    async with sessions.begin() as session:
        cards = []
        for index in range(member_count):
            shop_id = shops[index % len(shops)][0]
            member = await members.enrol(
                session,
                coalition_id=coalition.id,
                scope_id=shop_id,
                partner_id=shop_id,
                request=members.Enrolment(f"demo-enrol-{index}", None, None, None, None),
            )
            cards.append(member.card_number)

    ledger = LedgerService(PostingGateway(engine))
    setups = TillSetups(engine)
    now = datetime.now(UTC)

    async def shop_day(day: int, shop_id: uuid.UUID, basket: tuple[int, int]) -> None:
        for n in range(rng.randint(5, 15)):
            card = rng.choice(cards)
            when = now - timedelta(days=day, hours=rng.randint(0, 10))
            amount = Decimal(rng.randint(basket[0] * 100, basket[1] * 100)) / 100
            lines = None
            if shop_id == shops[1][0]:  # the coffee bar rings up coffees, for its stamp card
                cups = rng.randint(1, 3)
                lines = [BasketLine("cappuccino", "coffee", cups, Decimal("2.80"))]
                amount += cups * Decimal("2.80")
            await earn_points(
                ledger, setups, shop_id, idempotency_key=f"demo-{shop_id}-{day}-{n}", card_number=card,
                amount=amount, receipt_ref=None, lines=lines, occurred_at=when,
            )  # fmt: skip
            if rng.random() < 0.2:
                with contextlib.suppress(DomainError):  # not enough points yet, as at a real till
                    await ledger.redeem(
                        shop_id, idempotency_key=f"demo-r-{shop_id}-{day}-{n}",
                        card_number=rng.choice(cards), points=rng.choice([50, 100, 200]), receipt_ref=None,
                    )  # fmt: skip

    for day in range(days, 0, -1):
        await asyncio.gather(*(shop_day(day, shop_id, basket) for shop_id, basket in shops))
    return await _fresh_tokens(sessions, coalition.id)
