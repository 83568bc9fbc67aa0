"""The till's hot path through the public GraphQL endpoint, against the machine.

    uv run python -m bench till [--clients 8,32,64] [--seconds 10] [--members 100000]
                                [--workers 2] [--history 10000000] [--quick]

Starts what it needs (embedded servers unless COALITION_DATABASE_URL /
COALITION_REDIS_URL are set) and, in one run:

1. seeds a town: 10 shops with till keys, ``--members`` members with a
   balance each;
2. measures the baselines at each client count: pgbench's built-in TPC-B on
   the same PostgreSQL, and a bare GraphQL query (``{ __typename }``, the
   API's "SELECT 1": HTTP, authentication, GraphQL, no database);
3. starts ``coalition serve --workers N`` against the seeded database and
   drives earnPoints, redeemPoints and the till's wallet lookup at each
   client count, with requests spread over all members and again with 20% of
   them on 1% of the members (hot wallets): throughput and p50/p95/p99;
4. the API's resident memory per worker after the load;
5. scale: earn at one client count in a town whose ledger holds about 10,000
   entries, then again once ``--history`` entries of spent history are added.

With ``--citus-url URL`` it does none of that but compares the earn on a
Citus cluster with the single PostgreSQL instead (bench/till_citus.py).

The load generator (bench/loadgen.py) is a separate process on uvloop with
one keep-alive connection per client and pre-formatted requests; its CPU
share is measured and printed with every row, and so are the API's and
PostgreSQL's, to show where the two cores went.

It prints a table with ratios to the baselines and writes it as JSON to
bench/results/till.json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

from bench import seeding
from bench.databases import pgbench_init, pgbench_tps, plain, recreate
from coalition.platform.runtime import migrate
from coalition.platform.runtime.embedded import resolved
from coalition.platform.runtime.settings import Settings

HOT_SHARE, HOT_FRACTION = 0.2, 0.01


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Api:
    """``coalition serve`` as a user runs it, against the bench database."""

    def __init__(self, database_url: str, redis_url: str, workers: int, pool_size: int, env: dict[str, str]) -> None:
        self.port = _free_port()
        self._env = {
            **os.environ,
            "COALITION_DATABASE_URL": database_url,
            "COALITION_REDIS_URL": redis_url,
            "COALITION_DATABASE_POOL_SIZE": str(pool_size),
            "COALITION_WORKERS": str(workers),
            **env,
        }
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Api:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "coalition", "serve", "--port", str(self.port)],
            env=self._env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert self.process.poll() is None, "the API exited"
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health/ready", timeout=2) as answer,
            ):
                if answer.status == 200:
                    return self
            time.sleep(0.2)
        raise RuntimeError("the API never became ready")

    def __exit__(self, *exc: object) -> None:
        assert self.process is not None
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()

    def worker_rss_mib(self) -> list[float]:
        assert self.process is not None
        parent = psutil.Process(self.process.pid)
        workers = [p for p in parent.children(recursive=True) if "python" in p.name().lower()]
        return [round(p.memory_info().rss / 2**20, 1) for p in workers]

    def processes(self) -> list[psutil.Process]:
        assert self.process is not None
        parent = psutil.Process(self.process.pid)
        return [parent, *parent.children(recursive=True)]


def _postgres_processes() -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["name"]):
        if process.info["name"] and process.info["name"].startswith("postgres"):
            found.append(process)
    return found


def _cpu_seconds(processes: list[psutil.Process]) -> dict[int, float]:
    seconds = {}
    for process in processes:
        with contextlib.suppress(psutil.Error):
            times = process.cpu_times()
            seconds[process.pid] = times.user + times.system
    return seconds


def _used(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds between two snapshots; a process born in between counts whole."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


@contextlib.contextmanager
def _cpu_shares(api: Api, row: dict[str, Any]) -> Iterator[None]:
    """Adds to ``row`` the share of one core the API and PostgreSQL used."""
    api_before, pg_before = _cpu_seconds(api.processes()), _cpu_seconds(_postgres_processes())
    began = time.perf_counter()
    yield
    elapsed = time.perf_counter() - began
    row["api_cpu_share"] = round(_used(api_before, _cpu_seconds(api.processes())) / elapsed, 2)
    row["postgres_cpu_share"] = round(_used(pg_before, _cpu_seconds(_postgres_processes())) / elapsed, 2)


def load(api: Api, operation: str, clients: int, seconds: float, tokens: list[str], cards: list[str], *,
         hot: bool = False, warmup: float = 2.0, rate: float = 0) -> dict[str, Any]:  # fmt: skip
    plan = {
        "port": api.port, "clients": clients, "seconds": seconds, "warmup": warmup, "operation": operation,
        "tokens": tokens, "cards": cards, "hot_share": HOT_SHARE if hot else 0.0,
        "hot_count": max(1, int(len(cards) * HOT_FRACTION)) if hot else 0, "rate": rate,
    }  # fmt: skip
    row: dict[str, Any] = {}
    with _cpu_shares(api, row):
        done = subprocess.run(
            [sys.executable, "-m", "bench.loadgen"], input=json.dumps(plan), capture_output=True, text=True, check=True
        )
    result: dict[str, Any] = json.loads(done.stdout)
    result.update(row)
    if result["failed"]:
        print(f"  {operation}: {result['failed']} failed, e.g. {result['failure_samples'][:1]}", flush=True)
    return result


def _print_row(row: dict[str, Any]) -> None:
    name = row["operation"] + (" (hot)" if row["hot"] else "")
    print(
        f"  {name:<14}{row['clients']:>6}{row['per_second']:>10}{row['p50_ms']:>9}{row['p95_ms']:>9}"
        f"{row['p99_ms']:>9}{row.get('vs_pgbench', ''):>9}{row.get('vs_ping', ''):>9}"
        f"  api {row['api_cpu_share']:.2f} pg {row['postgres_cpu_share']:.2f} gen {row['loadgen_cpu_share']:.2f}",
        flush=True,
    )


def _header() -> None:
    print(
        f"  {'operation':<14}{'tills':>6}{'per s':>10}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
        f"{'/pgbench':>9}{'/ping':>9}  cores used (of 2)",
        flush=True,
    )


def run(settings: Settings, args: argparse.Namespace) -> dict[str, Any]:
    assert settings.database_url is not None
    assert settings.redis_url is not None
    clients: list[int] = args.clients
    env = dict(item.split("=", 1) for item in args.env)
    report: dict[str, Any] = {
        "at": datetime.now(UTC).isoformat(),
        "machine": machine(),
        "members": args.members,
        "workers": args.workers,
        "pool_size": args.pool_size,
        "seconds": args.seconds,
        "env": env,
    }

    print(f"pgbench TPC-B (scale 10) at {clients} clients ...", flush=True)
    pgbench_url = asyncio.run(recreate(settings.database_url, "coalition_pgbench"))
    pgbench_init(pgbench_url)
    baseline = {c: pgbench_tps(pgbench_url, c, args.seconds) for c in clients}
    report["pgbench_tps"] = baseline
    print("  " + ", ".join(f"{c} clients: {tps:.0f} tps" for c, tps in baseline.items()), flush=True)

    print(f"seeding 10 shops and {args.members} members with balances ...", flush=True)
    url = asyncio.run(recreate(settings.database_url, "coalition_till_bench"))
    migrate.upgrade(url)
    started = time.perf_counter()
    tokens, cards = asyncio.run(seeding.town(url, members=args.members))
    report["seeded_in_s"] = round(time.perf_counter() - started, 1)

    rows: list[dict[str, Any]] = []
    redis_url = settings.redis_url
    with Api(plain(url), redis_url, args.workers, args.pool_size, env) as api:
        _header()
        pings = {}
        for c in clients:
            row = load(api, "ping", c, args.seconds, tokens, cards)
            pings[c] = row["per_second"]
            row["vs_pgbench"] = round(row["per_second"] / baseline[c], 2)
            rows.append(row)
            _print_row(row)
        for hot in (False, True):
            for operation in ("earn", "redeem", "wallet"):
                for c in clients:
                    row = load(api, operation, c, args.seconds, tokens, cards, hot=hot)
                    row["vs_pgbench"] = round(row["per_second"] / baseline[c], 2)
                    row["vs_ping"] = round(row["per_second"] / pings[c], 2)
                    rows.append(row)
                    _print_row(row)
        report["worker_rss_mib_after_load"] = api.worker_rss_mib()
    report["results"] = rows
    print(f"API resident memory per worker after the load: {report['worker_rss_mib_after_load']} MiB", flush=True)

    if args.history:
        report["scale"] = scale(settings, args, env)
    return report


def scale(settings: Settings, args: argparse.Namespace, env: dict[str, str]) -> dict[str, Any]:
    """Earn with a near-empty ledger, then with ``--history`` entries in it."""
    assert settings.database_url is not None
    assert settings.redis_url is not None
    clients = args.scale_clients
    url = asyncio.run(recreate(settings.database_url, "coalition_scale_bench"))
    migrate.upgrade(url)
    tokens, cards = asyncio.run(seeding.town(url, members=5_000, slug="scale"))
    outcome: dict[str, Any] = {"clients": clients, "members": 5_000}
    for phase in ("small", "large"):
        if phase == "large":
            print(f"adding {args.history:,} ledger entries of history ...", flush=True)
            started = time.perf_counter()
            asyncio.run(seeding.add_history(url, "scale", args.history))
            outcome["history_seeded_in_s"] = round(time.perf_counter() - started, 1)
        entries = asyncio.run(seeding.entry_count(url))
        with Api(plain(url), settings.redis_url, args.workers, args.pool_size, env) as api:
            rounds = [load(api, "earn", clients, args.seconds, tokens, cards) for _ in range(args.scale_rounds)]
        best = max(rounds, key=lambda r: r["per_second"])
        outcome[phase] = {"ledger_entries": entries, "rounds": rounds, "best": best}
        print(
            f"  earn with {entries:>12,} ledger entries: {best['per_second']}/s, p50 {best['p50_ms']} ms,"
            f" p99 {best['p99_ms']} ms (best of {args.scale_rounds})",
            flush=True,
        )
    small, large = outcome["small"]["best"], outcome["large"]["best"]
    outcome["throughput_large_vs_small"] = round(large["per_second"] / small["per_second"], 3)
    outcome["p50_large_vs_small"] = round(large["p50_ms"] / small["p50_ms"], 3)
    print(
        f"  large/small: throughput {outcome['throughput_large_vs_small']},"
        f" p50 latency {outcome['p50_large_vs_small']}",
        flush=True,
    )
    return outcome


def machine() -> dict[str, Any]:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": cpu,
        "cores": psutil.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30),
        "python": sys.version.split()[0],
    }


def _client_counts(value: str) -> list[int]:
    return [int(c) for c in value.split(",") if c]


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench till", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=_client_counts, default=[8, 32, 64], help="client counts, e.g. 8,32,64")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pool-size", type=int, default=16, help="connections per API worker")
    parser.add_argument("--history", type=int, default=10_000_000, help="ledger entries for the scale test; 0: skip")
    parser.add_argument("--scale-clients", type=int, default=32)
    parser.add_argument("--scale-rounds", type=int, default=3)
    parser.add_argument("--env", action="append", default=[], help="NAME=VALUE for the API, e.g. to compare settings")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 2,000 members, short, small history")
    parser.add_argument(
        "--citus-url", help="instead of the above: earn on this Citus cluster vs the single PostgreSQL (deploy/citus)"
    )
    parser.add_argument("--out", type=Path, help="default: bench/results/till.json (till-citus.json with --citus-url)")
    args = parser.parse_args(argv)
    if args.out is None:
        args.out = Path(__file__).parent / "results" / ("till-citus.json" if args.citus_url else "till.json")
    if args.quick:
        args.members, args.seconds, args.clients = 2_000, 2, [4]
        args.history, args.scale_rounds = min(args.history, 200_000), 1
    with resolved(Settings()) as settings:
        if args.citus_url:
            from bench import till_citus

            env = dict(item.split("=", 1) for item in args.env)
            report = till_citus.compare(settings, args, env)
            report["machine"] = machine()
        else:
            report = run(settings, args)
    args.out.parent.mkdir(exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(f"written to {args.out}")
