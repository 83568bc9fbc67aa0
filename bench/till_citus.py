"""The till's earn on a Citus cluster against the same machine's single
PostgreSQL, in one run (``python -m bench till --citus-url URL``).

The single PostgreSQL gets a database of its own, as in the rest of the
bench. A Citus cluster cannot: Citus keeps its metadata (the workers, the
shards) per database, so the cluster's database in URL is used as it is,
upgraded and distributed (``coalition db distribute``), with a town of its
own under a slug no earlier run took. Both towns are seeded alike and driven
alike through ``coalition serve``; the figures and the Citus/single ratio
are printed per client count.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

import asyncpg

from bench import seeding
from bench.databases import plain, recreate
from coalition.platform.runtime import migrate
from coalition.platform.runtime.distribute import distribute
from coalition.platform.runtime.settings import Settings


async def _prepare_cluster(url: str) -> None:
    """Seeding switches the ledger's triggers off with SET LOCAL; the shards
    must see it too (the Citus tests set the same)."""
    connection = await asyncpg.connect(url)
    try:
        database = await connection.fetchval("SELECT current_database()")
        await connection.execute(f"ALTER DATABASE \"{database}\" SET citus.propagate_set_commands = 'local'")
    finally:
        await connection.close()


def _town(url: str, members: int, slug: str) -> tuple[list[str], list[str], float]:
    started = time.perf_counter()
    tokens, cards = asyncio.run(seeding.town(url, members=members, slug=slug))
    return tokens, cards, round(time.perf_counter() - started, 1)


def _earns(url: str, redis_url: str, args: argparse.Namespace, env: dict[str, str], label: str,
           tokens: list[str], cards: list[str]) -> dict[int, dict[str, Any]]:  # fmt: skip
    from bench.till import Api, load

    rows = {}
    with Api(plain(url), redis_url, args.workers, args.pool_size, env) as api:
        for clients in args.clients:
            row = load(api, "earn", clients, args.seconds, tokens, cards)
            rows[clients] = row
            print(
                f"  {label:<8}{clients:>6}{row['per_second']:>10}{row['p50_ms']:>9}{row['p99_ms']:>9}"
                f"  api {row['api_cpu_share']:.2f} pg {row['postgres_cpu_share']:.2f}",
                flush=True,
            )
    return rows


def compare(settings: Settings, args: argparse.Namespace, env: dict[str, str]) -> dict[str, Any]:
    assert settings.database_url is not None
    assert settings.redis_url is not None
    citus_url = plain(args.citus_url)
    report: dict[str, Any] = {"members": args.members, "seconds": args.seconds, "clients": args.clients}

    print(f"single PostgreSQL: seeding 10 shops and {args.members} members ...", flush=True)
    single_url = asyncio.run(recreate(settings.database_url, "coalition_till_bench"))
    migrate.upgrade(single_url)
    single_town = _town(single_url, args.members, "till")
    print(f"Citus ({args.citus_url}): upgrading, distributing, seeding the same town ...", flush=True)
    asyncio.run(_prepare_cluster(citus_url))
    migrate.upgrade(citus_url)
    layout = distribute(citus_url)
    citus_town = _town(citus_url, args.members, f"till{int(time.time())}")
    report["seeded_in_s"] = {"single": single_town[2], "citus": citus_town[2]}
    report["citus_workers"] = layout.workers

    print(f"  {'server':<8}{'tills':>6}{'earns/s':>10}{'p50 ms':>9}{'p99 ms':>9}  cores used (of 2)", flush=True)
    single = _earns(single_url, settings.redis_url, args, env, "single", *single_town[:2])
    citus = _earns(citus_url, settings.redis_url, args, env, "citus", *citus_town[:2])
    rows = []
    for clients in args.clients:
        one, many = single[clients], citus[clients]
        rows.append(
            {
                "clients": clients,
                "single": one,
                "citus": many,
                "throughput_citus_vs_single": round(many["per_second"] / one["per_second"], 2),
                "p50_citus_vs_single": round(many["p50_ms"] / one["p50_ms"], 2),
                "p99_citus_vs_single": round(many["p99_ms"] / one["p99_ms"], 2),
            }
        )
        print(
            f"  {clients} tills: Citus/single throughput {rows[-1]['throughput_citus_vs_single']},"
            f" p50 {rows[-1]['p50_citus_vs_single']}, p99 {rows[-1]['p99_citus_vs_single']}",
            flush=True,
        )
    report["results"] = rows
    return report
