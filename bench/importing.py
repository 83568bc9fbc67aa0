"""The receipt import against a bare COPY of the same file.

    uv run python -m bench import [--lines 1500000] [--shops 400] [--members 50000]

Starts what it needs (embedded servers unless COALITION_DATABASE_URL is set),
writes a CSV of receipts (ten lines each) across the shops and members, then
in one run times:

- the baseline: PostgreSQL's COPY of that file into an unindexed table of
  eight text columns, nothing checked;
- ``coalition import receipts`` (history mode) of the same file: reading and
  checking every value, grouping the receipts, COPY into staging, and the
  set-based insert into the indexed purchases and purchase_lines;
- the same import again, which adds nothing.

It prints both times and the ratio (the aim: at most 3x).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg

from bench.databases import plain, recreate
from coalition.cli.importing import import_receipts
from coalition.partners import lifecycle
from coalition.platform.auth.service import Principal
from coalition.platform.coalitions.service import create_coalition
from coalition.platform.runtime import migrate
from coalition.platform.runtime.database import create_engine, create_sessionmaker
from coalition.platform.runtime.embedded import resolved
from coalition.platform.runtime.settings import Settings

LINES_PER_RECEIPT = 10
CATEGORIES = ["bread", "pastry", "dairy", "coffee", "fruit", "meat", "flowers", "books", "", "wine"]


async def _coalition(url: str, shops: int, members: int) -> None:
    engine = create_engine(url, pool_size=2)
    async with create_sessionmaker(engine).begin() as session:
        coalition, _ = await create_coalition(
            session, slug="import", name="Import", currency="EUR", point_value="0.01", timezone="Europe/Amsterdam"
        )
        operator = Principal.local_operator(coalition.id, via="bench")
        for n in range(shops):
            await lifecycle.create_partner(
                session, operator, name=f"Shop {n:03d}", earn_rate_per_unit=Decimal(1), iban=None,
                reference=f"SHOP-{n:03d}",
            )  # fmt: skip
    async with engine.begin() as connection:
        raw = await connection.get_raw_connection()
        driver: Any = raw.driver_connection
        await driver.execute(
            """INSERT INTO members (coalition_id, card_number, referral_code)
               SELECT $1, 'C' || lpad(n::text, 9, '0'), 'R' || n FROM generate_series(1, $2) AS n""",
            coalition.id,
            members,
        )
    await engine.dispose()


def _write_file(path: Path, lines: int, shops: int, members: int) -> None:
    chance = random.Random(13)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    with path.open("w", encoding="utf-8") as out:
        out.write("receipt,shop,card,occurred_at,sku,category,quantity,amount\n")
        for receipt in range(lines // LINES_PER_RECEIPT):
            head = (
                f"R{receipt},SHOP-{chance.randrange(shops):03d},C{chance.randrange(1, members + 1):09d},"
                f"{(start + timedelta(minutes=receipt * 3)).isoformat()}"
            )
            for line in range(LINES_PER_RECEIPT):
                sku = chance.randrange(500)
                cents = chance.randrange(50, 5000)
                out.write(f"{head},SKU{sku},{CATEGORIES[sku % 10]},{line % 3 + 1},{cents // 100}.{cents % 100:02d}\n")


async def _bare_copy(url: str, path: Path) -> float:
    connection = await asyncpg.connect(plain(url))
    try:
        await connection.execute(
            "CREATE TABLE bare_copy (receipt text, shop text, card text, occurred_at text, sku text, category text,"
            " quantity text, amount text)"
        )
        started = time.perf_counter()
        await connection.copy_to_table("bare_copy", source=path, format="csv", header=True)
        return time.perf_counter() - started
    finally:
        await connection.close()


async def run(settings: Settings, lines: int, shops: int, members: int, folder: Path) -> dict[str, Any]:
    assert settings.database_url is not None
    url = await recreate(settings.database_url, "coalition_import_bench")
    await asyncio.to_thread(migrate.upgrade, url)
    await _coalition(url, shops, members)
    path = folder / "receipts.csv"
    await asyncio.to_thread(_write_file, path, lines, shops, members)
    copy_s = await _bare_copy(url, path)
    local = settings.model_copy(update={"database_url": url})
    started = time.perf_counter()
    first = await import_receipts(local, path, "import", mode="history", enrol_unknown=False)
    import_s = time.perf_counter() - started
    started = time.perf_counter()
    again = await import_receipts(local, path, "import", mode="history", enrol_unknown=False)
    again_s = time.perf_counter() - started
    assert first.imported_lines == lines, first.as_dict()
    assert again.imported_lines == 0
    return {
        "at": datetime.now(UTC).isoformat(),
        "lines": lines,
        "receipts": first.imported_receipts,
        "shops": shops,
        "members": members,
        "file_mb": round(path.stat().st_size / 1e6, 1),
        "bare_copy_s": round(copy_s, 2),
        "import_s": round(import_s, 2),
        "import_again_s": round(again_s, 2),
        "ratio_import_to_copy": round(import_s / copy_s, 2),
    }


def main(argv: list[str]) -> None:
    import tempfile

    parser = argparse.ArgumentParser(
        prog="python -m bench import", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--lines", type=int, default=1_500_000)
    parser.add_argument("--shops", type=int, default=400)
    parser.add_argument("--members", type=int, default=50_000)
    args = parser.parse_args(argv)
    with resolved(Settings()) as settings, tempfile.TemporaryDirectory(prefix="import-bench") as folder:
        report = asyncio.run(run(settings, args.lines, args.shops, args.members, Path(folder)))
    print(
        f"{report['lines']:,} lines, {report['receipts']:,} receipts, {report['shops']} shops, "
        f"{report['members']:,} members ({report['file_mb']} MB of CSV)"
    )
    print(f"bare COPY into an unindexed table: {report['bare_copy_s']} s (baseline)")
    print(f"coalition import receipts:         {report['import_s']} s")
    print(f"the same import again (adds nothing): {report['import_again_s']} s")
    print(f"ratio import / COPY: {report['ratio_import_to_copy']}x")
    results = Path(__file__).parent / "results"
    results.mkdir(exist_ok=True)
    (results / "import.json").write_text(json.dumps(report, indent=2))
