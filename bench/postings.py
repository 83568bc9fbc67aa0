"""Till postings against the machine's own yardstick.

    uv run python -m bench postings [--clients 8] [--seconds 10] [--members 2000]

Starts what it needs (embedded servers unless COALITION_DATABASE_URL /
COALITION_REDIS_URL are set), then in one run measures:

- the baseline: pgbench's built-in TPC-B script on the same PostgreSQL, same
  client count;
- earn and redeem postings through the ledger service (what the GraphQL
  resolver calls, without HTTP), their throughput and latency percentiles;
- the same earn in a coalition with a full programme (category rates, a
  threshold, shop and coalition campaigns, tiers, a daily cap, a cross-shop
  challenge, stamp cards, birthday and referral bonuses), to show what the
  rules cost: they are evaluated in memory from cached rules, so the extra
  is one read of the member's state;
- database statements per posting, counted on the wire.

It prints a table with ratios to pgbench and writes it as JSON under
bench/results/. The HTTP-level benchmark belongs to the hot-path issue.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import event

from bench.databases import pgbench_init, pgbench_tps
from bench.databases import recreate as _recreate
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
from coalition.platform.auth.service import Principal
from coalition.platform.coalitions.service import create_coalition
from coalition.platform.errors import DomainError
from coalition.platform.ledger.repository import PostingGateway
from coalition.platform.ledger.service import LedgerService
from coalition.platform.programme.rules import Bonuses, CoalitionRulesChanges, Limits, Tier, TierPolicy
from coalition.platform.runtime import migrate
from coalition.platform.runtime.database import create_engine, create_sessionmaker
from coalition.platform.runtime.embedded import resolved
from coalition.platform.runtime.settings import Settings


async def seed(url: str, members: int, slug: str = "bench") -> tuple[Any, list[uuid.UUID], list[str]]:
    engine = create_engine(url, pool_size=4)
    async with create_sessionmaker(engine).begin() as session:
        coalition, _ = await create_coalition(
            session, slug=slug, name=slug, currency="EUR", point_value="0.01", timezone="Europe/Amsterdam"
        )
        operator = Principal.local_operator(coalition.id, via="bench")
        shop_ids = []
        for n in range(10):
            shop, _ = await lifecycle.create_partner(
                session, operator, name=f"Shop {n}", earn_rate_per_unit=Decimal("1"), iban=None
            )
            await lifecycle.set_status(session, operator, shop.id, "ACTIVE")
            shop_ids.append(shop.id)
    async with engine.begin() as connection:
        raw = await connection.get_raw_connection()
        driver = raw.driver_connection
        assert driver is not None
        cards = [f"{slug[0].upper()}{n:09d}" for n in range(members)]
        await driver.execute(
            """
            WITH m AS (
              INSERT INTO members (coalition_id, card_number, referral_code, birth_date)
              SELECT $1, c, upper(substr(md5(c), 1, 10)), date '1990-01-01' + (n % 365)::int
                FROM unnest($2::text[]) WITH ORDINALITY AS u(c, n) RETURNING id),
            w AS (INSERT INTO wallets (member_id, coalition_id) SELECT id, $1 FROM m)
            INSERT INTO member_activity (member_id) SELECT id FROM m
            """,
            coalition.id,
            cards,
        )
    await engine.dispose()
    return coalition, shop_ids, cards


async def configure_shop_rules(url: str, coalition_id: uuid.UUID, shop_ids: list[uuid.UUID]) -> None:
    """Rules that need nothing of the member: category rates, thresholds, a cap, a shop campaign."""
    engine = create_engine(url, pool_size=2)
    operator = Principal.local_operator(coalition_id, via="bench")
    now, month = datetime.now(UTC), timedelta(days=31)
    async with create_sessionmaker(engine).begin() as session:
        for shop in shop_ids:
            await partner_programme.set_earn_rules(
                session, operator, shop,
                EarnRules(Decimal(1), (CategoryRate("books", Decimal(2)),),
                          (Threshold(Decimal(20), 20), Threshold(Decimal(50), 60)), max_points_per_transaction=5000),
            )  # fmt: skip
            await partner_programme.create_campaign(
                session, operator,
                Campaign(uuid.uuid4(), "Double coffee", shop, CampaignKind.MULTIPLIER, now - month, now + month,
                         multiplier=Decimal(2), categories=("coffee",)),
            )  # fmt: skip
    await engine.dispose()


async def configure_programme(url: str, coalition_id: uuid.UUID, shop_ids: list[uuid.UUID]) -> None:
    """A busy town's programme: every kind of rule the engine knows."""
    engine = create_engine(url, pool_size=2)
    operator = Principal.local_operator(coalition_id, via="bench")
    now = datetime.now(UTC)
    month = timedelta(days=31)
    async with create_sessionmaker(engine).begin() as session:
        await partner_programme.save_coalition_rules(
            session,
            operator,
            CoalitionRulesChanges(
                limits=Limits(max_earn_rate=Decimal(10), max_points_per_member_per_day=100_000),
                bonuses=Bonuses(birthday=100, referrer=200, referee=100, referral_min_purchase=Decimal(10)),
                tiers=TierPolicy(
                    tiers=(
                        Tier("BRONZE", "Bronze", 0),
                        Tier("SILVER", "Silver", 500, Decimal("1.25")),
                        Tier("GOLD", "Gold", 2000, Decimal("1.5")),
                    )
                ),
            ),
        )
        await partner_programme.create_challenge(
            session,
            operator,
            Challenge(uuid.uuid4(), "Three shops", 3, ChallengePeriod.MONTH, 300, ChallengeFunding.COALITION, (),
                      now - month, now + month),
        )  # fmt: skip
        await partner_programme.create_campaign(
            session,
            operator,
            Campaign(uuid.uuid4(), "Town week", None, CampaignKind.FIXED_BONUS, now - month, now + month,
                     bonus_points=10, min_spend=Decimal(20)),
        )  # fmt: skip
        for shop in shop_ids:
            await partner_programme.set_earn_rules(
                session,
                operator,
                shop,
                EarnRules(
                    Decimal(1),
                    (CategoryRate("books", Decimal(2)),),
                    (Threshold(Decimal(20), 20), Threshold(Decimal(50), 60)),
                    max_points_per_transaction=5000,
                ),
            )
            await partner_programme.create_campaign(
                session,
                operator,
                Campaign(uuid.uuid4(), "Double coffee", shop, CampaignKind.MULTIPLIER, now - month, now + month,
                         multiplier=Decimal(2), categories=("coffee",)),
            )  # fmt: skip
            reward = await partner_rewards.create_reward(
                session, operator, shop, partner_rewards.RewardSpec("Free coffee", "FREE_PRODUCT", None, None, 30)
            )
            await partner_programme.create_stamp_card(
                session, operator, shop, StampCard(uuid.uuid4(), "Coffee card", 10, reward.id, ("coffee",))
            )
    await engine.dispose()


def evaluation_cost(setup: Any) -> float:
    """Microseconds for one evaluation of the full programme, in memory."""
    from coalition.partners.earning.engine import evaluate
    from coalition.partners.earning.model import Basket, Line, MemberState

    basket = Basket(
        setup.partner_id,
        Decimal("23.45"),
        "EUR",
        (Line("c", "coffee", 2, Decimal("2.50")), Line("b", "books", 1, Decimal("18.45"))),
    )
    member = MemberState(tier="SILVER", qualifying=900, points_today=40)
    today, now = datetime.now(UTC).date(), datetime.now(UTC)
    rounds = 20_000
    started = time.perf_counter()
    for _ in range(rounds):
        evaluate(basket, member, setup, today, now)
    return (time.perf_counter() - started) / rounds * 1e6


async def measure(name: str, clients: int, seconds: float, post) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    latencies: list[float] = []
    refused = 0
    deadline = time.perf_counter() + seconds

    async def client(worker: int) -> None:
        nonlocal refused
        n = 0
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                await post(worker, n)
            except DomainError:
                refused += 1
            latencies.append(time.perf_counter() - started)
            n += 1

    began = time.perf_counter()
    await asyncio.gather(*(client(w) for w in range(clients)))
    elapsed = time.perf_counter() - began
    quantiles = statistics.quantiles(latencies, n=100)
    return {
        "operation": name,
        "clients": clients,
        "per_second": round(len(latencies) / elapsed, 1),
        "p50_ms": round(quantiles[49] * 1000, 2),
        "p95_ms": round(quantiles[94] * 1000, 2),
        "p99_ms": round(quantiles[98] * 1000, 2),
        "refused": refused,
    }


async def run(settings: Settings, clients: int, seconds: int, members: int) -> dict[str, Any]:
    assert settings.database_url is not None
    bench_url = await _recreate(settings.database_url, "coalition_bench")
    pgbench_url = await _recreate(settings.database_url, "coalition_pgbench")
    await asyncio.to_thread(migrate.upgrade, bench_url)
    await asyncio.to_thread(pgbench_init, pgbench_url)
    baseline = await asyncio.to_thread(pgbench_tps, pgbench_url, clients, seconds)
    _, shop_ids, cards = await seed(bench_url, members)
    rules_coalition, rules_shops, rules_cards = await seed(bench_url, members, slug="rules")
    await configure_programme(bench_url, rules_coalition.id, rules_shops)
    shop_coalition, shop_shops, shop_cards = await seed(bench_url, members, slug="shops")
    await configure_shop_rules(bench_url, shop_coalition.id, shop_shops)

    engine = create_engine(bench_url, pool_size=clients)
    statements: list[str] = []
    event.listen(engine.sync_engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    ledger = LedgerService(PostingGateway(engine))
    setups = TillSetups(engine, ttl=3600)

    async def earn(worker: int, n: int) -> None:
        await earn_points(
            ledger, setups, shop_ids[(worker + n) % len(shop_ids)],
            idempotency_key=f"e-{worker}-{n}-{uuid.uuid4().hex[:6]}",
            card_number=cards[(worker * 7919 + n * 104729) % len(cards)], amount=Decimal("23.45"),
            receipt_ref=None, lines=None, occurred_at=None,
        )  # fmt: skip

    async def redeem(worker: int, n: int) -> None:
        await ledger.redeem(
            shop_ids[(worker + n + 3) % len(shop_ids)],
            idempotency_key=f"r-{worker}-{n}-{uuid.uuid4().hex[:6]}",
            card_number=cards[(worker * 7919 + n * 104729) % len(cards)], points=5, receipt_ref=None,
        )  # fmt: skip

    basket = [
        BasketLine("espresso", "coffee", 2, Decimal("2.50")),
        BasketLine("novel", "books", 1, Decimal("18.45")),
    ]

    async def earn_with_shop_rules(worker: int, n: int) -> None:
        await earn_points(
            ledger, setups, shop_shops[(worker + n) % len(shop_shops)],
            idempotency_key=f"s-{worker}-{n}-{uuid.uuid4().hex[:6]}",
            card_number=shop_cards[(worker * 7919 + n * 104729) % len(shop_cards)], amount=Decimal("23.45"),
            receipt_ref=None, lines=basket, occurred_at=None,
        )  # fmt: skip

    async def earn_with_rules(worker: int, n: int) -> None:
        await earn_points(
            ledger, setups, rules_shops[(worker + n) % len(rules_shops)],
            idempotency_key=f"p-{worker}-{n}-{uuid.uuid4().hex[:6]}",
            card_number=rules_cards[(worker * 7919 + n * 104729) % len(rules_cards)], amount=Decimal("23.45"),
            receipt_ref=None, lines=basket, occurred_at=None,
        )  # fmt: skip

    await earn(0, -1)  # warm the programme cache and the prepared statements
    statements.clear()
    await earn(0, -11)  # same shop: its programme is cached now
    per_earn = len(statements)
    await earn_with_shop_rules(0, -1)
    statements.clear()
    await earn_with_shop_rules(0, -11)
    per_shop_rules_earn = len(statements)
    await earn_with_rules(0, -1)
    statements.clear()
    await earn_with_rules(0, -11)
    per_rules_earn = len(statements)
    microseconds = evaluation_cost((await setups.get(rules_shops[0])).setup)
    results = [
        await measure("earn", clients, seconds, earn),
        await measure("earn+shop", clients, seconds, earn_with_shop_rules),
        await measure("earn+all", clients, seconds, earn_with_rules),
        await measure("redeem", clients, seconds, redeem),
    ]
    await engine.dispose()
    for row in results:
        row["ratio_to_pgbench"] = round(row["per_second"] / baseline, 2)
    return {
        "at": datetime.now(UTC).isoformat(),
        "members": members,
        "pgbench_tpcb_tps": round(baseline, 1),
        "statements_per_earn": per_earn,
        "statements_per_earn_with_shop_rules": per_shop_rules_earn,
        "statements_per_earn_with_rules": per_rules_earn,
        "rules_evaluation_us": round(microseconds, 1),
        "shop_rules_earn_vs_plain_earn": round(results[1]["per_second"] / results[0]["per_second"], 2),
        "rules_earn_vs_plain_earn": round(results[2]["per_second"] / results[0]["per_second"], 2),
        "results": results,
    }


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench postings", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--members", type=int, default=2000)
    args = parser.parse_args(argv)
    with resolved(Settings()) as settings:
        report = asyncio.run(run(settings, args.clients, args.seconds, args.members))
    print(f"pgbench TPC-B, {args.clients} clients: {report['pgbench_tpcb_tps']} tps (baseline)")
    print(f"database statements per earn (round trips): {report['statements_per_earn']}")
    print(
        f"earn+shop (rates, thresholds, cap, campaign): {report['statements_per_earn_with_shop_rules']} statement; "
        f"throughput {report['shop_rules_earn_vs_plain_earn']}x the plain earn"
    )
    print(
        f"earn+all (also tiers, daily cap, challenge, stamp card, bonuses): {report['statements_per_earn_with_rules']}"
        f" statements; rules evaluated in memory in {report['rules_evaluation_us']} µs; throughput "
        f"{report['rules_earn_vs_plain_earn']}x the plain earn"
    )
    print(f"{'operation':<10}{'per s':>10}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'vs pgbench':>12}")
    for row in report["results"]:
        print(
            f"{row['operation']:<10}{row['per_second']:>10}{row['p50_ms']:>10}{row['p95_ms']:>10}"
            f"{row['p99_ms']:>10}{row['ratio_to_pgbench']:>12}"
        )
    folder = Path(__file__).parent / "results"
    folder.mkdir(exist_ok=True)
    (folder / "postings.json").write_text(json.dumps(report, indent=2))
