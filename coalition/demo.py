"""``coalition demo``: a small town's coalition with shops, members and a few
weeks of trade, posted day by day through the same services the API uses,
each past day settled and approved as the nightly job and the operator would."""

from __future__ import annotations

import asyncio
import contextlib
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from coalition.demo_people import DemoMember, DemoPerson, staff_with_links, wallet_member
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
from coalition.platform.runtime.database import AsyncSession, asyncpg_url, create_engine, create_sessionmaker
from coalition.platform.runtime.settings import Settings
from coalition.platform.staff.service import Mailing
from coalition.settlement import service as settlement

SLUG = "demo"
TIMEZONE = "Europe/Amsterdam"
# The posting functions read the time from ledger_now(), which follows this
# setting when a session sets it: how the seed posts past days' trade.
CLOCK = "coalition.clock"

# (name, points per euro, typical basket in euro)
SHOPS = [
    ("Bakkerij De Korenschoof", Decimal("2"), (3, 18)),
    ("Koffiebar Bonen & Zo", Decimal("3"), (3, 12)),
    ("Boekhandel Het Leeshuis", Decimal("1"), (10, 60)),
    ("Fietsenmaker Van Dam", Decimal("0.5"), (15, 400)),
    ("Bloemenhuis Flora", Decimal("1.5"), (8, 45)),
    ("Slagerij Jansen", Decimal("1"), (8, 55)),
]


@dataclass(frozen=True)
class DemoTown:
    tokens: dict[str, str]  # label: token, ready to paste
    # The first and last of the past days, settled and approved (None: a town
    # seeded by a version of the demo that had no history).
    settled_from: date | None
    settled_through: date | None
    # The portal's people, each with a fresh one-time sign-in link.
    staff: list[DemoPerson] = field(default_factory=list)
    # A member with an e-mail address and a fresh one-time link into the wallet.
    wallet: DemoMember | None = None


async def seed(settings: Settings, *, members: int, days: int) -> DemoTown:
    """Seed once (a second run only issues fresh tokens)."""
    assert settings.database_url is not None
    engine = create_engine(settings.database_url, pool_size=8)
    sessions = create_sessionmaker(engine)
    try:
        async with sessions.begin() as session:
            existing = await coalition_by_slug(session, SLUG)
        if existing is None:
            await _seed_new(settings.database_url, sessions, members, days)
        async with sessions.begin() as session:
            coalition = await coalition_by_slug(session, SLUG)
            assert coalition is not None
            settled = await settled_days(session, coalition.id)
        first, last = (settled[0], settled[-1]) if settled else (None, None)
        tokens = await _fresh_tokens(sessions, coalition.id)
        people = await staff_with_links(sessions, coalition.id, Mailing(settings.public_url, settings.mail_from))
        wallet = await wallet_member(sessions, settings, coalition.id, coalition.name)
        return DemoTown(tokens, first, last, people, wallet)
    finally:
        await engine.dispose()


async def settled_days(session: AsyncSession, coalition_id: uuid.UUID) -> list[date]:
    from coalition.settlement.repository import run_page

    runs = await run_page(session, coalition_id, None, 366)
    return sorted(run.business_date for run in runs if run.status == "APPROVED")


async def _fresh_tokens(sessions: async_sessionmaker[AsyncSession], coalition_id: uuid.UUID) -> dict[str, str]:
    from coalition.platform.coalitions.tables import partners as partners_table
    from coalition.platform.members.tables import members as members_table

    async with sessions.begin() as session:
        _, operator = await issue(session, coalition_id=coalition_id, kind=CredentialKind.OPERATOR)
        tokens = {"operator token": operator}
        shops = await session.execute(
            select(partners_table.c.id, partners_table.c.name)
            .where(partners_table.c.coalition_id == coalition_id)
            .order_by(partners_table.c.id)
        )
        for shop in shops:
            _, pos = await issue(
                session,
                coalition_id=coalition_id,
                kind=CredentialKind.PARTNER,
                partner_id=shop.id,
                role=PartnerRole.POS,
            )
            tokens[f"till (POS) key of {shop.name} (partner {shop.id})"] = pos
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
    tokens[f"member token (card {member.card_number})"] = member_token
    return tokens


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
    database_url: str, sessions: async_sessionmaker[AsyncSession], member_count: int, days: int
) -> None:
    rng = random.Random(2026)
    async with sessions.begin() as session:
        coalition, _ = await create_coalition(
            session, slug=SLUG, name="Demo Town Shops", currency="EUR", point_value="0.01",
            timezone=TIMEZONE, points_name="Town Points", pending_days=0, expiry_months=12,
        )  # fmt: skip
        principal = Principal.local_operator(coalition.id, via="coalition demo")
        shops = []
        for number, (name, rate, basket) in enumerate(SHOPS, start=1):
            partner, _ = await lifecycle.create_partner(
                session, principal, name=name, earn_rate_per_unit=rate, iban=_test_iban(number)
            )
            await lifecycle.set_status(session, principal, partner.id, "ACTIVE")
            shops.append((partner.id, basket))
        await _programme(session, principal, [shop_id for shop_id, _ in shops])
        await settlement.set_paying_account(session, principal, "Demo Town Shops Association", _test_iban(0), None)

    today = datetime.now(ZoneInfo(TIMEZONE)).date()
    first_day = today - timedelta(days=days)
    async with sessions.begin() as session:
        await _set_clock(session, _business_hours(first_day))  # members join on the first day of trade
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

    async def shop_day(ledger: LedgerService, setups: TillSetups, day: date, shop_id: uuid.UUID,
                       basket: tuple[int, int]) -> None:  # fmt: skip
        for n in range(rng.randint(5, 15)):
            card = rng.choice(cards)
            when: datetime | None = _business_hours(day) + timedelta(minutes=rng.randint(0, 600))
            if when is not None and when > datetime.now(UTC):  # today's trade so far
                when = None
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

    for offset in range(days, -1, -1):  # every past day in order, then a little of today's (open) trade
        day = today - timedelta(days=offset)
        engine = _engine_at(database_url, _business_hours(day) if offset else None)
        gateway = PostingGateway(engine)
        ledger = LedgerService(gateway)
        try:
            setups = TillSetups(engine)
            await asyncio.gather(*(shop_day(ledger, setups, day, shop_id, basket) for shop_id, basket in shops))
        finally:
            await gateway.aclose()
            await engine.dispose()

    async with sessions.begin() as session:  # what the nightly job and the operator would have done
        for offset in range(days, 0, -1):
            await settlement.run_day(session, coalition.id, today - timedelta(days=offset))
            await settlement.approve(session, principal, today - timedelta(days=offset))


def _business_hours(day: date) -> datetime:
    return datetime.combine(day, time(8, 30), ZoneInfo(TIMEZONE))


async def _set_clock(session: AsyncSession, moment: datetime) -> None:
    """Only for this transaction (SET LOCAL)."""
    await session.execute(
        text("SELECT set_config(:name, :moment, true)"), {"name": CLOCK, "moment": moment.isoformat()}
    )


def _engine_at(database_url: str, moment: datetime | None) -> AsyncEngine:
    """The till postings run on the posting gateway's own connections, each
    its own transaction (group commit), so the past day's clock is given to
    the connections of an engine only this seed uses, and dropped with it."""
    if moment is None:
        return create_engine(database_url, pool_size=8)
    return create_async_engine(
        asyncpg_url(database_url),
        pool_size=8,
        connect_args={"server_settings": {"application_name": "coalition demo seed", CLOCK: moment.isoformat()}},
    )


def _test_iban(number: int) -> str:
    """Valid (checksummed) IBANs of a made-up Dutch bank, one per number."""
    from schwifty import IBAN

    return str(IBAN.generate("NL", bank_code="DEMO", account_code=f"{number:010d}").compact)
