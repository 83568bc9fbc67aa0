"""A long run at half the measured capacity: does anything leak or drift?

    uv run python -m bench soak [--minutes 30] [--members 20000] [--share 0.5]
                                [--window 60] [--workers 2] [--quick]

Starts what it needs (embedded servers unless COALITION_DATABASE_URL /
COALITION_REDIS_URL are set), seeds a town, starts ``coalition serve`` and
``coalition worker`` as a deployment runs them, then:

1. capacity: the tills' mix (earns, wallet reads, redemptions) as fast as the
   API answers, at 32 tills, for 20 seconds;
2. the soak: the same mix paced at ``--share`` of that capacity for
   ``--minutes``, in windows of ``--window`` seconds. Each window prints its
   throughput, p50/p99, failures, and the resident memory of every API worker,
   the job worker and PostgreSQL's backends (their own pages).

The verdict compares the last window with the end of the warm-up (the first
fifth of the run): memory growth of each process (aim: under 10%), p99 (aim:
stable), failures (aim: none). JSON goes to bench/results/soak.json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

from bench import seeding
from bench.databases import plain, recreate
from bench.till import Api, load, machine
from coalition.platform.runtime import migrate
from coalition.platform.runtime.embedded import resolved
from coalition.platform.runtime.settings import Settings

DATABASE = "coalition_soak_bench"


class Worker:
    """``coalition worker`` beside the API, so its memory is watched too."""

    def __init__(self, database_url: str, redis_url: str) -> None:
        env = {**os.environ, "COALITION_DATABASE_URL": database_url, "COALITION_REDIS_URL": redis_url}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "coalition", "worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    def rss_mib(self) -> float:
        with contextlib.suppress(psutil.Error):
            return round(psutil.Process(self.process.pid).memory_info().rss / 2**20, 1)
        return 0.0

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def _postgres_rss_mib(database: str) -> float:
    """The bench database's backends together (they come and go with the pools), by
    their own pages (USS): RSS would count the shared buffers once per backend."""
    total = 0
    for process in psutil.process_iter(["name", "cmdline"]):
        title = " ".join(process.info["cmdline"] or [])
        if process.info["name"] and process.info["name"].startswith("postgres") and f" {database} " in title:
            with contextlib.suppress(psutil.Error):
                total += process.memory_full_info().uss
    return round(total / 2**20, 1)


def _growth(before: float, after: float) -> float:
    return round((after - before) / before, 3) if before else 0.0


def soak(settings: Settings, args: argparse.Namespace) -> dict[str, Any]:
    assert settings.database_url is not None
    assert settings.redis_url is not None
    report: dict[str, Any] = {"at": datetime.now(UTC).isoformat(), "machine": machine(), "args": vars(args) | {}}
    report["args"].pop("out", None)
    print(f"seeding 10 shops and {args.members} members ...", flush=True)
    url = asyncio.run(recreate(settings.database_url, DATABASE))
    migrate.upgrade(url)
    tokens, cards = asyncio.run(seeding.town(url, members=args.members, slug="soak"))
    worker = Worker(plain(url), settings.redis_url)
    try:
        with Api(plain(url), settings.redis_url, args.workers, 16, {"COALITION_RATE_LIMIT_PER_CREDENTIAL": "0"}) as api:
            capacity = load(api, "mix", 32, args.capacity_seconds, tokens, cards)
            rate = round(capacity["per_second"] * args.share, 1)
            report["capacity"] = capacity
            report["rate"] = rate
            print(f"capacity (32 tills, mix): {capacity['per_second']}/s; soaking at {rate}/s", flush=True)
            print(
                f"  {'window':>6}{'per s':>9}{'p50 ms':>9}{'p99 ms':>9}{'failed':>8}"
                "  memory MiB (api workers | worker | postgres)"
            )
            windows: list[dict[str, Any]] = []
            for number in range(max(1, round(args.minutes * 60 / args.window))):
                row = _window(api, rate, args.window, tokens, cards)
                row.update(window=number + 1, api_rss_mib=api.worker_rss_mib(), worker_rss_mib=worker.rss_mib(),
                           postgres_rss_mib=_postgres_rss_mib(DATABASE))  # fmt: skip
                windows.append(row)
                print(
                    f"  {number + 1:>6}{row['per_second']:>9}{row['p50_ms']:>9}{row['p99_ms']:>9}{row['failed']:>8}"
                    f"  {row['api_rss_mib']} | {row['worker_rss_mib']} | {row['postgres_rss_mib']}",
                    flush=True,
                )
    finally:
        worker.stop()
    report["windows"] = windows
    report["verdict"] = _verdict(windows)
    return report


def _window(api: Api, rate: float, seconds: int, tokens: list[str], cards: list[str]) -> dict[str, Any]:
    # 64 paced clients: enough that a slow answer does not hold the rate back.
    return load(api, "mix", 64, seconds, tokens, cards, warmup=0.5, rate=rate)


def _verdict(windows: list[dict[str, Any]]) -> dict[str, Any]:
    warm = windows[max(0, len(windows) // 5 - 1)]
    last = windows[-1]
    verdict = {
        "failed": sum(w["failed"] for w in windows),
        "requests": sum(w["ok"] + w["failed"] for w in windows),
        "api_growth": [_growth(a, b) for a, b in zip(warm["api_rss_mib"], last["api_rss_mib"], strict=False)],
        "worker_growth": _growth(warm["worker_rss_mib"], last["worker_rss_mib"]),
        "postgres_growth": _growth(warm["postgres_rss_mib"], last["postgres_rss_mib"]),
        "p99_after_warmup_ms": [w["p99_ms"] for w in windows[len(windows) // 5 :]],
    }
    p99s = verdict["p99_after_warmup_ms"] or [last["p99_ms"]]
    verdict["p99_last_vs_first_after_warmup"] = round(p99s[-1] / p99s[0], 2) if p99s[0] else None
    growths = [*verdict["api_growth"], verdict["worker_growth"], verdict["postgres_growth"]]
    verdict["memory_flat"] = all(g < 0.10 for g in growths)
    print(
        f"verdict: {verdict['requests']} requests, {verdict['failed']} failed; memory growth after warm-up:"
        f" api {verdict['api_growth']}, worker {verdict['worker_growth']}, postgres {verdict['postgres_growth']}"
        f" ({'flat' if verdict['memory_flat'] else 'GROWING'}); p99 last/first after warm-up"
        f" {verdict['p99_last_vs_first_after_warmup']}",
        flush=True,
    )
    return verdict


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench soak", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--share", type=float, default=0.5, help="of the measured capacity")
    parser.add_argument("--window", type=int, default=60, help="seconds per printed window")
    parser.add_argument("--capacity-seconds", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="a smoke run: 2,000 members, 1 minute in 15 s windows")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "soak.json")
    args = parser.parse_args(argv)
    if args.quick:
        args.members, args.minutes, args.window, args.capacity_seconds = 2_000, 1, 15, 5
    with resolved(Settings()) as settings:
        report = soak(settings, args)
    args.out.parent.mkdir(exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(f"written to {args.out}")
