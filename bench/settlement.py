"""A day's settlement against a bare GROUP BY over the same rows.

    uv run python -m bench settlement [--consumptions 1000000] [--partners 200] [--repeat 3]

Starts what it needs (embedded servers unless COALITION_DATABASE_URL is set),
then builds a coalition of ``--partners`` shops whose business day holds
``--consumptions`` lot consumptions: half as many redemptions, each spending
two lots earned the day before at two different shops, and a quarter as many
new earns. The day before (its earns and their lots) stays in the tables as
history the settlement must not read.

The rows are written in bulk with SQL, not through the posting path (which
would take half an hour at till speed). The ledger's triggers are off while
seeding (a superuser's switch), so the counters are written consistent by
hand: every lot's remaining + consumed = points.

Measured in the same run, each ``--repeat`` times (the median is reported):
- settling the day: the real ``run_day`` (the day's flows in one set-based
  statement, obligations and netting in memory, storing lines, obligations
  and the matrix), in one transaction;
- the baseline: ``SELECT issuer, redeemer, kind, sum(points) FROM
  lot_consumptions WHERE business_date = D GROUP BY 1, 2, 3``, the least any
  settlement must do over those rows.

It prints both times and their ratio, and writes them as JSON under
bench/results/.
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

from sqlalchemy import text

from bench.databases import recreate
from coalition.partners import lifecycle
from coalition.platform.auth.service import Principal
from coalition.platform.coalitions.service import create_coalition
from coalition.platform.runtime import migrate
from coalition.platform.runtime.database import create_engine, create_sessionmaker
from coalition.platform.runtime.embedded import resolved
from coalition.platform.runtime.settings import Settings
from coalition.settlement import service as settlement

MEMBERS = 100_000

# Literal values are the benchmark's own (dates, ids, counts), formatted in.
# Shops are numbered 0..count-1 in the temporary table bench_shops.
_SEED = [
    """
    INSERT INTO ledger_transactions (member_id, id, coalition_id, partner_id, kind, points, business_date, created_at)
    SELECT md5('m' || (k % {members}))::uuid, md5('e' || k)::uuid, '{coalition}', s.id, 'EARN', 200,
           '{yesterday}', '{yesterday}'::timestamptz + interval '12 hours'
      FROM generate_series(0, {redemptions} - 1) AS k JOIN bench_shops s ON s.n = k % {shops}
    """,
    """
    INSERT INTO lots (member_id, id, coalition_id, transaction_id, issuer_partner_id, points, remaining, consumed,
                      available_at, expires_at, created_at)
    SELECT md5('m' || (k % {members}))::uuid, md5('l' || k || '-' || j)::uuid, '{coalition}', md5('e' || k)::uuid,
           s.id, 100, 70, 30, '{yesterday}', '{yesterday}'::timestamptz + interval '2 years',
           '{yesterday}'::timestamptz + interval '12 hours'
      FROM generate_series(0, {redemptions} - 1) AS k CROSS JOIN generate_series(0, 1) AS j
      JOIN bench_shops s ON s.n = (k + j * 7) % {shops}
    """,
    """
    INSERT INTO ledger_transactions (member_id, id, coalition_id, partner_id, kind, points, business_date, created_at)
    SELECT md5('m' || (k % {members}))::uuid, md5('r' || k)::uuid, '{coalition}', s.id, 'REDEEM', -60,
           '{today}', '{today}'::timestamptz + interval '12 hours'
      FROM generate_series(0, {redemptions} - 1) AS k JOIN bench_shops s ON s.n = (k * 13 + 5) % {shops}
    """,
    """
    INSERT INTO lot_consumptions (member_id, transaction_id, lot_id, issuer_partner_id, partner_id, business_date,
                                  kind, points)
    SELECT md5('m' || (k % {members}))::uuid, md5('r' || k)::uuid, md5('l' || k || '-' || j)::uuid, issuer.id,
           redeemer.id, '{today}', 'REDEEM', 30
      FROM generate_series(0, {redemptions} - 1) AS k CROSS JOIN generate_series(0, 1) AS j
      JOIN bench_shops issuer ON issuer.n = (k + j * 7) % {shops}
      JOIN bench_shops redeemer ON redeemer.n = (k * 13 + 5) % {shops}
    """,
    """
    INSERT INTO ledger_transactions (member_id, id, coalition_id, partner_id, kind, points, business_date, created_at)
    SELECT md5('m' || (t % {members}))::uuid, md5('t' || t)::uuid, '{coalition}', s.id, 'EARN', 50,
           '{today}', '{today}'::timestamptz + interval '13 hours'
      FROM generate_series(0, {new_earns} - 1) AS t JOIN bench_shops s ON s.n = t % {shops}
    """,
    """
    INSERT INTO lots (member_id, id, coalition_id, transaction_id, issuer_partner_id, points, remaining,
                      available_at, expires_at, created_at)
    SELECT md5('m' || (t % {members}))::uuid, md5('tl' || t)::uuid, '{coalition}', md5('t' || t)::uuid, s.id, 50, 50,
           '{today}', '{today}'::timestamptz + interval '2 years', '{today}'::timestamptz + interval '13 hours'
      FROM generate_series(0, {new_earns} - 1) AS t JOIN bench_shops s ON s.n = t % {shops}
    """,
]

_BARE_GROUP_BY = text(
    "SELECT issuer_partner_id, partner_id, kind, sum(points) FROM lot_consumptions"
    " WHERE business_date = :day GROUP BY 1, 2, 3"
)


async def build(url: str, partner_count: int, consumptions: int) -> tuple[uuid.UUID, Any, dict[str, int]]:
    engine = create_engine(url, pool_size=2)
    async with create_sessionmaker(engine).begin() as session:
        coalition, _ = await create_coalition(
            session, slug="settle", name="Settle", currency="EUR", point_value="0.01", timezone="Europe/Amsterdam"
        )
        operator = Principal.local_operator(coalition.id, via="bench")
        shops = []
        for n in range(partner_count):
            shop, _ = await lifecycle.create_partner(
                session, operator, name=f"Shop {n:03d}", earn_rate_per_unit=Decimal(1), iban=None
            )
            shops.append(shop.id)
            if n % 4 == 0:  # a quarter of the shops pay fees
                await settlement.set_contract(
                    session, operator, shop.id, fee_per_point_issued=Decimal("0.0005"),
                    fee_percent_of_redemption=Decimal("1.5"),
                )  # fmt: skip
    today = settlement.business_today(coalition)
    redemptions, new_earns = consumptions // 2, consumptions // 4
    async with engine.begin() as connection:
        await connection.execute(text("SET LOCAL session_replication_role = replica"))
        await connection.execute(text("CREATE TEMPORARY TABLE bench_shops (n int PRIMARY KEY, id uuid) ON COMMIT DROP"))
        await connection.execute(
            text(
                "INSERT INTO bench_shops SELECT n - 1, id FROM unnest(CAST(:ids AS uuid[])) WITH ORDINALITY AS u(id, n)"
            ),
            {"ids": shops},
        )
        values = {"members": MEMBERS, "coalition": coalition.id, "yesterday": today - timedelta(days=1),
                  "today": today, "redemptions": redemptions, "new_earns": new_earns, "shops": len(shops)}  # fmt: skip
        for statement in _SEED:
            await connection.execute(text(statement.format(**values)))
    async with engine.connect() as connection:
        await connection.execute(text("COMMIT"))
        for table in ("ledger_transactions", "lots", "lot_consumptions"):
            await connection.execute(text(f"VACUUM ANALYZE {table}"))
    await engine.dispose()
    rows = {
        "consumptions_on_the_day": redemptions * 2,
        "transactions_on_the_day": redemptions + new_earns,
        "lots_issued_on_the_day": new_earns,
        "history_transactions": redemptions,
        "history_lots": redemptions * 2,
    }
    return coalition.id, today, rows


def _median_seconds(samples: list[float]) -> float:
    return round(statistics.median(samples), 3)


async def run(settings: Settings, partner_count: int, consumptions: int, repeat: int) -> dict[str, Any]:
    assert settings.database_url is not None
    url = await recreate(settings.database_url, "coalition_settle_bench")
    await asyncio.to_thread(migrate.upgrade, url)
    seeding = time.perf_counter()
    coalition_id, day, rows = await build(url, partner_count, consumptions)
    seeded_in = time.perf_counter() - seeding

    engine = create_engine(url, pool_size=2)
    sessions = create_sessionmaker(engine)
    bare, settle = [], []
    for _ in range(repeat):
        async with engine.connect() as connection:
            started = time.perf_counter()
            groups = len((await connection.execute(_BARE_GROUP_BY, {"day": day})).all())
            bare.append(time.perf_counter() - started)
        async with sessions.begin() as session:
            started = time.perf_counter()
            # The day is today: its run stays provisional and is computed afresh each time.
            run = await settlement.run_day(session, coalition_id, day)
        settle.append(time.perf_counter() - started)
    async with engine.connect() as connection:
        figures = (
            await connection.execute(
                text(
                    "SELECT (SELECT count(*) FROM settlement_obligations WHERE run_id = :r) AS obligations,"
                    " (SELECT count(*) FROM settlement_lines WHERE run_id = :r) AS lines,"
                    " (SELECT count(*) FROM settlement_matrix WHERE run_id = :r) AS matrix,"
                    " (SELECT sum(net_minor) FROM settlement_lines WHERE run_id = :r) AS nets"
                ),
                {"r": run.id},
            )
        ).one()
    await engine.dispose()
    assert figures.nets == 0, "nets must sum to zero"
    return {
        "at": datetime.now(UTC).isoformat(),
        "partners": partner_count,
        "rows": rows,
        "seeded_in_s": round(seeded_in, 1),
        "groups_in_bare_group_by": groups,
        "run": {"obligations": figures.obligations, "lines": figures.lines, "matrix_cells": figures.matrix},
        "bare_group_by_s": _median_seconds(bare),
        "settle_day_s": _median_seconds(settle),
        "ratio_settle_to_group_by": round(statistics.median(settle) / statistics.median(bare), 2),
        "samples": {"bare_group_by_s": [round(x, 3) for x in bare], "settle_day_s": [round(x, 3) for x in settle]},
    }


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench settlement", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--consumptions", type=int, default=1_000_000)
    parser.add_argument("--partners", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    with resolved(Settings()) as settings:
        report = asyncio.run(run(settings, args.partners, args.consumptions, args.repeat))
    rows = report["rows"]
    print(
        f"one business day: {rows['consumptions_on_the_day']:,} lot consumptions, "
        f"{rows['transactions_on_the_day']:,} transactions, {rows['lots_issued_on_the_day']:,} new lots, "
        f"{report['partners']} partners (history: {rows['history_transactions']:,} transactions, "
        f"{rows['history_lots']:,} lots; seeded in {report['seeded_in_s']} s)"
    )
    print(f"bare GROUP BY over the day's consumptions: {report['bare_group_by_s']} s (baseline)")
    print(
        f"settling the day (flows, {report['run']['obligations']:,} obligations, netting, {report['run']['lines']} "
        f"lines, {report['run']['matrix_cells']:,} matrix cells stored): {report['settle_day_s']} s"
    )
    print(f"ratio settle / GROUP BY: {report['ratio_settle_to_group_by']}x (median of {args.repeat})")
    folder = Path(__file__).parent / "results"
    folder.mkdir(exist_ok=True)
    (folder / "settlement.json").write_text(json.dumps(report, indent=2))
