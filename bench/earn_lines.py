"""What keeping a basket costs an earn.

    uv run python -m bench earn-lines [--earns 3000] [--members 2000]

Starts what it needs (embedded servers unless COALITION_DATABASE_URL is set),
then in one run posts earns through the ledger service (the till's path
without HTTP, one at a time, so the time is the posting's own), alternating
an earn without lines and the same earn with a five-line basket, which the
posting function stores as a receipt and five purchase lines. It prints each
kind's median and p99 time and the ratio of the medians.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench.databases import recreate
from bench.postings import seed
from coalition.partners.earning.till import BasketLine, TillSetups, earn_points
from coalition.platform.ledger.repository import PostingGateway
from coalition.platform.ledger.service import LedgerService
from coalition.platform.runtime import migrate
from coalition.platform.runtime.database import create_engine
from coalition.platform.runtime.embedded import resolved
from coalition.platform.runtime.settings import Settings

FIVE_LINES = [
    BasketLine("BREAD-WHITE", "bread", 2, Decimal("1.20")),
    BasketLine("CROISSANT", "pastry", 4, Decimal("0.95")),
    BasketLine("COFFEE-BEANS", "coffee", 1, Decimal("6.40")),
    BasketLine("MILK-1L", "dairy", 2, Decimal("1.05")),
    BasketLine("JAM-STRAWBERRY", None, 1, Decimal("2.75")),
]


def _ms(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000, 3)


async def run(settings: Settings, earns: int, member_count: int) -> dict[str, Any]:
    assert settings.database_url is not None
    url = await recreate(settings.database_url, "coalition_earn_lines_bench")
    await asyncio.to_thread(migrate.upgrade, url)
    _, shops, cards = await seed(url, member_count, slug="lines")
    engine = create_engine(url, pool_size=4)
    gateway = PostingGateway(engine)
    ledger, setups = LedgerService(gateway), TillSetups(engine, ttl=3600)
    timings: dict[str, list[float]] = {"without lines": [], "with five lines": []}
    try:
        for n in range(earns * 2 + 200):
            kind = "with five lines" if n % 2 else "without lines"
            started = time.perf_counter()
            await earn_points(
                ledger, setups, shops[n % len(shops)], idempotency_key=uuid.uuid4().hex,
                card_number=cards[n % len(cards)], amount=Decimal("16.25"), receipt_ref=f"R{n}",
                lines=FIVE_LINES if n % 2 else None, occurred_at=None,
            )  # fmt: skip
            if n >= 200:  # the first ones warm the caches and the connections up
                timings[kind].append(time.perf_counter() - started)
    finally:
        await gateway.aclose()
        await engine.dispose()
    without, with_lines = timings["without lines"], timings["with five lines"]
    return {
        "at": datetime.now(UTC).isoformat(),
        "earns_each": earns,
        "members": member_count,
        "without_lines_ms": {"p50": _ms(without, 0.5), "p99": _ms(without, 0.99)},
        "with_five_lines_ms": {"p50": _ms(with_lines, 0.5), "p99": _ms(with_lines, 0.99)},
        "ratio_p50": round(statistics.median(with_lines) / statistics.median(without), 3),
    }


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench earn-lines", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--earns", type=int, default=3000, help="Earns of each kind.")
    parser.add_argument("--members", type=int, default=2000)
    args = parser.parse_args(argv)
    with resolved(Settings()) as settings:
        report = asyncio.run(run(settings, args.earns, args.members))
    without, with_lines = report["without_lines_ms"], report["with_five_lines_ms"]
    print(f"earn without lines:   p50 {without['p50']} ms, p99 {without['p99']} ms ({args.earns} earns, baseline)")
    print(f"earn with five lines: p50 {with_lines['p50']} ms, p99 {with_lines['p99']} ms ({args.earns} earns)")
    print(f"ratio with / without (p50): {report['ratio_p50']}x")
    folder = Path(__file__).parent / "results"
    folder.mkdir(exist_ok=True)
    (folder / "earn_lines.json").write_text(json.dumps(report, indent=2))
