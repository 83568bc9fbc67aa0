"""Insights: the daily rollup against a bare GROUP BY of the same lines, and
each report's answer time.

    uv run python -m bench insights [--lines 1500000] [--shops 400] [--members 50000] [--repeat 200]

Starts what it needs (embedded servers unless COALITION_DATABASE_URL is set),
imports a year of receipts (ten lines each; 150,000 receipts at the default
1.5 million lines) across the shops, empties the rollups, then in one run times:

- the baseline: one bare ``GROUP BY`` of every line by its receipt's shop and
  date (a join of purchase_lines to purchases, a count and a sum);
- the rollup of every day from nothing (``coalition insights rollup``);
- the same rollup again (nothing changed: it only finds that out);
- each contract report, ``--repeat`` times for a random shop (or the coalition)
  and a random range, as the API's resolvers call it: p50 and p99 (the aim:
  p99 under 50 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import text

from bench.databases import plain, recreate
from bench.importing import CATEGORIES, LINES_PER_RECEIPT, _coalition
from coalition.cli.importing import import_receipts
from coalition.insights import reports
from coalition.insights.cohorts import cohort_months
from coalition.insights.ranges import DateRange
from coalition.insights.rollup import roll_up
from coalition.platform.coalitions.repository import CoalitionRecord, coalition_by_slug
from coalition.platform.runtime import migrate
from coalition.platform.runtime.database import create_engine
from coalition.platform.runtime.embedded import resolved
from coalition.platform.runtime.settings import Settings

ROLLUPS = ("insight_member_days", "insight_shop_days", "insight_category_days", "insight_pair_days",
           "insight_points_days", "insight_member_firsts", "insight_rollup_state")  # fmt: skip
BARE_GROUP_BY = """SELECT p.partner_id, p.local_date, count(*), sum(l.amount_minor)
                     FROM purchase_lines l JOIN purchases p ON p.member_id = l.member_id AND p.id = l.purchase_id
                    GROUP BY p.partner_id, p.local_date"""
FIRST_DAY = date(2025, 1, 1)


def _write_year(path: Path, lines: int, shops: int, members: int) -> None:
    """As ``bench import``'s file, with the receipts spread evenly over a year."""
    chance = random.Random(13)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    receipts = lines // LINES_PER_RECEIPT
    step = timedelta(days=365) / receipts
    with path.open("w", encoding="utf-8") as out:
        out.write("receipt,shop,card,occurred_at,sku,category,quantity,amount\n")
        for receipt in range(receipts):
            head = (
                f"R{receipt},SHOP-{chance.randrange(shops):03d},C{chance.randrange(1, members + 1):09d},"
                f"{(start + step * receipt).isoformat()}"
            )
            for line in range(LINES_PER_RECEIPT):
                sku = chance.randrange(500)
                cents = chance.randrange(50, 5000)
                out.write(f"{head},SKU{sku},{CATEGORIES[sku % 10]},{line % 3 + 1},{cents // 100}.{cents % 100:02d}\n")


async def _timed(url: str, statement: str) -> float:
    connection = await asyncpg.connect(plain(url))
    try:
        started = time.perf_counter()
        await connection.fetch(statement)
        return time.perf_counter() - started
    finally:
        await connection.close()


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return {"p50_ms": round(statistics.median(ordered) * 1000, 2), "p99_ms": round(p99 * 1000, 2)}


async def _queries(url: str, repeat: int) -> dict[str, dict[str, float]]:
    engine = create_engine(url, pool_size=2)
    chance = random.Random(7)
    async with engine.connect() as connection:
        coalition = await coalition_by_slug(connection, "import")
        assert coalition is not None
        shops = list((await connection.scalars(text("SELECT id FROM partners ORDER BY id"))).all())
    last_day = FIRST_DAY + timedelta(days=364)

    def month() -> DateRange:
        start = FIRST_DAY + timedelta(days=chance.randrange(335))
        return DateRange(start, start + timedelta(days=29))

    def shop() -> Any:
        return chance.choice(shops)

    cases: dict[str, Callable[[Any, CoalitionRecord], Awaitable[object]]] = {
        "kpis (shop, 30 days)": lambda c, k: reports.kpi_report(c, k, shop(), month()),
        "kpis (coalition, 30 days)": lambda c, k: reports.kpi_report(c, k, None, month()),
        "kpis (shop, a year)": lambda c, k: reports.kpi_report(c, k, shop(), DateRange(FIRST_DAY, last_day)),
        "kpiSeries (shop, 30 days)": lambda c, k: reports.kpi_series(c, k, shop(), month(), reports.Grain.DAY),
        "cohorts (shop, 12 months)": lambda c, k: reports.cohort_rows(c, k, shop(), cohort_months(FIRST_DAY, last_day)),
        "segments (shop)": lambda c, k: reports.segment_counts(c, k, shop(), month().last),
        "lapsedMembers (shop)": lambda c, k: reports.lapsed_members(c, k, shop(), month().last, 50),
        "crossShop (shop, 30 days)": lambda c, k: reports.cross_shop_report(c, k, shop(), month()),
        "basketRules (shop, 30 days)": lambda c, k: reports.basket_rules(
            c, k, shop(), month(), min_support=0.01, first=20
        ),
        "basketRules (coalition, 30 days)": lambda c, k: reports.basket_rules(
            c, k, None, month(), min_support=0.01, first=20
        ),
        "beforeAfter (shop)": lambda c, k: reports.before_after(c, k, shop(), None, 90, last_day),
    }
    timings: dict[str, dict[str, float]] = {}
    async with engine.connect() as connection:
        for name, case in cases.items():
            samples = []
            for _ in range(repeat):
                started = time.perf_counter()
                await case(connection, coalition)
                samples.append(time.perf_counter() - started)
            await connection.rollback()
            timings[name] = _percentiles(samples)
    await engine.dispose()
    return timings


async def run(settings: Settings, lines: int, shops: int, members: int, repeat: int, folder: Path) -> dict[str, Any]:
    assert settings.database_url is not None
    url = await recreate(settings.database_url, "coalition_insights_bench")
    await asyncio.to_thread(migrate.upgrade, url)
    await _coalition(url, shops, members)
    path = folder / "receipts.csv"
    await asyncio.to_thread(_write_year, path, lines, shops, members)
    local = settings.model_copy(update={"database_url": url})
    await import_receipts(local, path, "import", mode="history", enrol_unknown=False)
    connection = await asyncpg.connect(plain(url))
    try:
        await connection.execute(f"TRUNCATE {', '.join(ROLLUPS)}")
        await connection.execute("VACUUM ANALYZE")
        receipts = await connection.fetchval("SELECT count(*) FROM purchases")
    finally:
        await connection.close()
    group_by_s = await _timed(url, BARE_GROUP_BY)
    engine = create_engine(url, pool_size=2)
    started = time.perf_counter()
    first = await roll_up(engine)
    rollup_s = time.perf_counter() - started
    started = time.perf_counter()
    again = await roll_up(engine)
    again_s = time.perf_counter() - started
    await engine.dispose()
    connection = await asyncpg.connect(plain(url))
    try:
        await connection.execute("ANALYZE")
        sizes = {
            table: await connection.fetchval(f"SELECT count(*) FROM {table}")
            for table in ("purchase_lines", *ROLLUPS[:5])
        }
    finally:
        await connection.close()
    return {
        "at": datetime.now(UTC).isoformat(),
        "lines": lines,
        "receipts": receipts,
        "shops": shops,
        "members": members,
        "rows": sizes,
        "bare_group_by_s": round(group_by_s, 2),
        "rollup_s": round(rollup_s, 2),
        "rollup_days": first.summary(),
        "rollup_again_s": round(again_s, 3),
        "rollup_again_days": again.summary(),
        "ratio_rollup_to_group_by": round(rollup_s / group_by_s, 2),
        "queries": await _queries(url, repeat),
    }


def main(argv: list[str]) -> None:
    import tempfile

    parser = argparse.ArgumentParser(
        prog="python -m bench insights", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--lines", type=int, default=1_500_000)
    parser.add_argument("--shops", type=int, default=400)
    parser.add_argument("--members", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args(argv)
    with resolved(Settings()) as settings, tempfile.TemporaryDirectory(prefix="insights-bench") as folder:
        report = asyncio.run(run(settings, args.lines, args.shops, args.members, args.repeat, Path(folder)))
    print(f"{report['lines']:,} lines, {report['receipts']:,} receipts, {report['shops']} shops, "
          f"{report['members']:,} members")  # fmt: skip
    print("rows: " + ", ".join(f"{table} {count:,}" for table, count in report["rows"].items()))
    print(f"bare GROUP BY of the lines by shop and day: {report['bare_group_by_s']} s (baseline)")
    print(f"rollup of every day from nothing:           {report['rollup_s']} s")
    print(f"the rollup again (nothing new):             {report['rollup_again_s']} s")
    print(f"ratio rollup / GROUP BY: {report['ratio_rollup_to_group_by']}x")
    for name, timing in report["queries"].items():
        print(f"{name:34} p50 {timing['p50_ms']:7.2f} ms   p99 {timing['p99_ms']:7.2f} ms")
    results = Path(__file__).parent / "results"
    results.mkdir(exist_ok=True)
    (results / "insights.json").write_text(json.dumps(report, indent=2))
