"""The fault tests' scenarios, in turn, for minutes: is anything lost or doubled?

    uv run python -m bench chaos [--minutes 10] [--seed 17] [--tills 4]

Run from the repository root: it borrows the fault tests' machinery
(``tests.support``: servers of its own, the tills, the API process) rather
than keep a copy of it. It starts an embedded PostgreSQL and Valkey in a
folder of their own, ``coalition serve`` and ``coalition worker``; tills post
earns and redemptions all along, retrying a request that got no clear answer
under the same idempotency key, as a real till does. Each round (about 15 s)
brings the next fault:

- ``api-kill``: the API SIGKILLed (with its workers) and started again;
- ``postgres-restart``: ``pg_ctl restart -m fast`` under the API and worker;
- ``redis-kill``: Valkey SIGKILLed, left dead 3 s, started again (empty);
- ``worker-kill``: the job worker SIGKILLed at a seeded random moment and started again.

Each round prints what the tills saw acknowledged, how many attempts got no
answer, and what the ledger holds for the tills' shop (it may run ahead of
the acknowledgements by the requests in flight). At the end the tills stop
and the verdict says whether the ledger holds exactly what was acknowledged,
once each, and whether ``coalition ledger verify`` passes. Exit status 1 if not.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import text

from coalition.platform.runtime.database import create_engine
from tests.support.fault_town import FaultTown, fault_town_on
from tests.support.own_servers import OwnServers, own_servers
from tests.support.served import ApiProcess
from tests.support.tills import Tills

FAULTS = ("api-kill", "postgres-restart", "redis-kill", "worker-kill")
ROUND_SECONDS = 15


class JobWorker:
    """``coalition worker`` on the chaos servers, to be killed and started again."""

    def __init__(self, own: OwnServers) -> None:
        self._env = {**os.environ, "COALITION_DATABASE_URL": own.database_url, "COALITION_REDIS_URL": own.redis_url}
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "coalition", "worker"], env=self._env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=60)


async def _ledger_holds(town: FaultTown, tries: int = 2) -> int | str:
    """The tills' shop's postings in the ledger now (or why it could not be read)."""
    try:
        async with town.town.engine.connect() as connection:
            return int(
                (
                    await connection.execute(
                        text(
                            "SELECT count(*) FROM ledger_transactions"
                            " WHERE partner_id = :shop AND kind IN ('EARN', 'REDEEM')"
                        ),
                        {"shop": town.shop},
                    )
                ).scalar_one()
            )
    except Exception as error:  # the database may be restarting: say so, carry on
        # A restart cut the pool's connections: once more on fresh ones.
        await town.town.engine.dispose()
        return await _ledger_holds(town, tries - 1) if tries > 1 else f"unreadable ({type(error).__name__})"


async def _fault(name: str, own: OwnServers, api: ApiProcess, worker: JobWorker, chance: random.Random) -> None:
    if name == "api-kill":
        api.kill()
        await asyncio.sleep(1)
        await asyncio.to_thread(api.start)
    elif name == "postgres-restart":
        await asyncio.to_thread(own.restart_postgres)
    elif name == "redis-kill":
        own.kill_redis()
        await asyncio.sleep(3)
        await asyncio.to_thread(own.start_redis)
    else:
        await asyncio.sleep(chance.uniform(0.0, 2.0))
        worker.kill()
        worker.start()


def _verify(own: OwnServers) -> tuple[bool, str]:
    done = subprocess.run(
        [sys.executable, "-m", "coalition", "ledger", "verify"],
        env={**os.environ, "COALITION_DATABASE_URL": own.database_url},
        capture_output=True,
        text=True,
    )
    said = [line for line in done.stdout.splitlines() if line.strip()]
    return done.returncode == 0, "; ".join(said[-3:])


async def _run(own: OwnServers, minutes: float, seed: int, tills_count: int, say: Callable[[str], None]) -> bool:
    chance = random.Random(seed)
    engine = create_engine(own.database_url, pool_size=2)
    town = await fault_town_on(engine, members=24)
    api = ApiProcess(own.database_url, own.redis_url, workers=2)
    await asyncio.to_thread(api.start)
    worker = JobWorker(own)
    worker.start()
    tills = Tills(lambda: api.base, town.till_key, town.cards, count=tills_count)
    posting = asyncio.create_task(tills.run_until_stopped())
    began = time.monotonic()
    say(f"chaos: {minutes:g} min, seed {seed}, {tills_count} tills, faults in turn: {', '.join(FAULTS)}")
    try:
        n = 0
        while time.monotonic() - began < minutes * 60:
            name = FAULTS[n % len(FAULTS)]
            acknowledged, attempts = len(tills.acknowledged), len(tills.attempts)
            await asyncio.sleep(ROUND_SECONDS / 3)
            await _fault(name, own, api, worker, chance)
            await asyncio.sleep(ROUND_SECONDS * 2 / 3)
            unanswered = sum(1 for a in tills.attempts[attempts:] if a.status is None)
            refused = Counter(
                f"{a.status}:{a.detail[:60]}" for a in tills.attempts[attempts:] if a.status not in (None, 200)
            )
            n += 1
            for error, times in refused.most_common(2):
                say(f"    {times} x {error}")
            say(
                f"round {n:3d} {name:17s} acknowledged {len(tills.acknowledged):6d} "
                f"(+{len(tills.acknowledged) - acknowledged:4d})  no answer {unanswered:3d}  "
                f"errors {refused.total():3d}  ledger holds {await _ledger_holds(town)}"
            )
        tills.stop()
        await posting
    finally:
        if not posting.done():
            tills.stop()
            posting.cancel()
        api.close()
        worker.stop()
    try:
        await town.assert_exactly_what_tills_saw(tills)
        exact, why = True, ""
    except AssertionError as error:
        exact, why = False, str(error)[:500]
    held = await _ledger_holds(town)
    await engine.dispose()
    verified, verify_says = _verify(own)
    no_answer = sum(1 for a in tills.attempts if a.status is None)
    say(
        f"\n{n} rounds in {(time.monotonic() - began) / 60:.1f} min: {len(tills.acknowledged)} postings acknowledged "
        f"({sum(1 for k in tills.kinds.values() if k == 'REDEEM')} redemptions) after {len(tills.attempts)} "
        f"attempts ({no_answer} without an answer, retried); the ledger holds {held}"
    )
    say(f"exactly once: {'yes' if exact else 'NO ' + why}")
    say(f"ledger verify: {'passed' if verified else 'FAILED'} ({verify_says})")
    return exact and verified


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench chaos", description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--seed", type=int, default=int(os.environ.get("COALITION_FAULT_SEED", "17")))
    parser.add_argument("--tills", type=int, default=4)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="coalition-chaos-") as folder, own_servers(Path(folder)) as own:
        ok = asyncio.run(_run(own, args.minutes, args.seed, args.tills, lambda line: print(line, flush=True)))
    print(f"verdict: {'nothing lost, nothing doubled' if ok else 'FAILED'}")
    sys.exit(0 if ok else 1)
