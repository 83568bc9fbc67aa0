"""What aiming a campaign at an audience costs the till's earn.

    uv run python -m bench aimed-earn [--earns 2000] [--members 2000]

Starts what it needs (embedded servers unless COALITION_DATABASE_URL is set),
then in one run posts earns through the ledger service (the till's path
without HTTP, one at a time), rotating between three shops of one town:

- plain: no rule needs the member's state, so the earn is one statement
  (the baseline);
- tier campaign: a running campaign limited to a tier, so the earn reads the
  member's state first (rules_member_state), then posts: the path every
  member-state rule already takes;
- aimed campaign: a running campaign aimed at an audience with a holdout,
  every member drawn into it (90% treated); the till keeps each running
  campaign's treated cards in memory, so it should cost what plain costs.

It prints each kind's median and p99 time and the ratios of the medians.
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
from bench.postings import seed
from coalition.partners.earning.till import TillSetups, earn_points
from coalition.platform.ledger.repository import PostingGateway
from coalition.platform.ledger.service import LedgerService
from coalition.platform.runtime import migrate
from coalition.platform.runtime.database import create_engine
from coalition.platform.runtime.embedded import resolved
from coalition.platform.runtime.settings import Settings

KINDS = ("plain", "tier campaign", "aimed campaign")


def _ms(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000, 3)


async def _campaigns(url: str, coalition_id: uuid.UUID, tier_shop: uuid.UUID, aimed_shop: uuid.UUID) -> None:
    engine = create_engine(url, pool_size=1)
    now = datetime.now(UTC)
    window = {"coalition": coalition_id, "starts": now - timedelta(days=1), "ends": now + timedelta(days=30)}
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO campaigns (coalition_id, partner_id, name, kind, starts_at, ends_at, bonus_points,"
                    " min_spend, tiers) VALUES (:coalition, :shop, 'Gold week', 'FIXED_BONUS', :starts, :ends, 5, 10,"
                    " '{GOLD}')"
                ),
                window | {"shop": tier_shop},
            )
            aimed = (
                await connection.execute(
                    text(
                        "INSERT INTO campaigns (coalition_id, partner_id, name, kind, starts_at, ends_at, bonus_points,"
                        " min_spend, audience_kind, audience_segment, holdout_share, drawn_at) VALUES (:coalition,"
                        " :shop, 'Come back', 'FIXED_BONUS', :starts, :ends, 5, 10, 'SEGMENT', 'At risk', 0.1, :starts)"
                        " RETURNING id"
                    ),
                    window | {"shop": aimed_shop},
                )
            ).scalar_one()
            await connection.execute(
                text(
                    "INSERT INTO campaign_members (member_id, campaign_id, arm)"
                    " SELECT id, :campaign, CASE WHEN random() < 0.1 THEN 'HOLDOUT' ELSE 'TREATMENT' END"
                    " FROM members WHERE coalition_id = :coalition"
                ),
                {"campaign": aimed, "coalition": coalition_id},
            )
    finally:
        await engine.dispose()


async def run(settings: Settings, earns: int, member_count: int) -> dict[str, Any]:
    assert settings.database_url is not None
    url = await recreate(settings.database_url, "coalition_aimed_earn_bench")
    await asyncio.to_thread(migrate.upgrade, url)
    coalition, shops, cards = await seed(url, member_count, slug="aimed")
    await _campaigns(url, coalition.id, shops[1], shops[2])
    engine = create_engine(url, pool_size=4)
    gateway = PostingGateway(engine)
    ledger, setups = LedgerService(gateway), TillSetups(engine, ttl=3600)
    timings: dict[str, list[float]] = {kind: [] for kind in KINDS}
    try:
        for n in range(earns * len(KINDS) + 300):
            kind = n % len(KINDS)
            started = time.perf_counter()
            await earn_points(
                ledger, setups, shops[kind], idempotency_key=uuid.uuid4().hex,
                card_number=cards[n % len(cards)], amount=Decimal("16.25"), receipt_ref=f"R{n}",
                lines=None, occurred_at=None,
            )  # fmt: skip
            if n >= 300:  # the first ones warm the caches and the connections up
                timings[KINDS[kind]].append(time.perf_counter() - started)
    finally:
        await gateway.aclose()
        await engine.dispose()
    medians = {kind: statistics.median(samples) for kind, samples in timings.items()}
    return {
        "at": datetime.now(UTC).isoformat(),
        "earns_each": earns,
        "members": member_count,
        "ms": {kind: {"p50": _ms(samples, 0.5), "p99": _ms(samples, 0.99)} for kind, samples in timings.items()},
        "ratio_aimed_to_plain_p50": round(medians["aimed campaign"] / medians["plain"], 3),
        "ratio_tier_to_plain_p50": round(medians["tier campaign"] / medians["plain"], 3),
    }


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench aimed-earn", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--earns", type=int, default=2000, help="Earns of each kind.")
    parser.add_argument("--members", type=int, default=2000)
    args = parser.parse_args(argv)
    with resolved(Settings()) as settings:
        report = asyncio.run(run(settings, args.earns, args.members))
    for kind, figures in report["ms"].items():
        print(f"earn, {kind + ':':16} p50 {figures['p50']} ms, p99 {figures['p99']} ms ({args.earns} earns)")
    print(f"aimed / plain (p50): {report['ratio_aimed_to_plain_p50']}x (the baseline: no member state read)")
    print(f"tier / plain (p50): {report['ratio_tier_to_plain_p50']}x (what a member-state read would have cost)")
    folder = Path(__file__).parent / "results"
    folder.mkdir(exist_ok=True)
    (folder / "aimed_earn.json").write_text(json.dumps(report, indent=2))
