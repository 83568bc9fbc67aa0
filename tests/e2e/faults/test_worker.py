"""The worker killed with SIGKILL at seeded random moments while it settles
closed days and expires lots, and once inside a settlement's open
transaction, then started again: nothing half done, nothing done twice,
every settled day as a clean recomputation gives it."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from coalition.partners.earning.till import TillSetups
from coalition.platform.coalitions import repository as coalitions
from coalition.platform.ledger.repository import PostingGateway
from coalition.platform.ledger.service import LedgerService
from coalition.platform.ledger.tables import transactions
from coalition.platform.money import exponent
from coalition.platform.runtime.database import create_engine
from coalition.settlement import repository
from coalition.settlement.repository import lines_of
from coalition.settlement.rules import settle
from coalition.settlement.tables import settlement_runs
from tests.support.own_servers import OwnServers
from tests.support.processes import Lines
from tests.support.time_passing import make_lots_expire_in, move_postings_to_yesterday
from tests.support.town import Town

pytestmark = pytest.mark.slow

SEED = int(os.environ.get("COALITION_FAULT_SEED", "17"))


def _env(own: OwnServers) -> dict[str, str]:
    return {**os.environ, "COALITION_DATABASE_URL": own.database_url, "COALITION_REDIS_URL": own.redis_url}


@pytest.fixture
async def towns(own: OwnServers) -> AsyncIterator[list[tuple[Town, list[str]]]]:
    """A few coalitions, each with a closed day to settle and lots to expire."""
    engine = create_engine(own.database_url, pool_size=4)
    ledger, setups = LedgerService(PostingGateway(engine)), TillSetups(engine)
    made = []
    for _ in range(4):
        town = await Town(engine, ledger, setups).create()
        shop, _ = await town.partner(rate="1")
        other, _ = await town.partner("Other", rate="1")
        cards = []
        for _ in range(3):
            _, card = await town.member(shop)
            await town.earn(shop, card, "50")
            await town.redeem(other, card, 20)
            cards.append(card)
        await move_postings_to_yesterday(town)
        for card in cards:
            await make_lots_expire_in(town, card, timedelta(seconds=0.2))
        made.append((town, cards))
    await asyncio.sleep(0.3)
    yield made
    await engine.dispose()


async def _done(town: Town) -> tuple[list[str], int]:
    async with town.engine.connect() as connection:
        runs = (
            await connection.scalars(
                select(settlement_runs.c.status).where(settlement_runs.c.coalition_id == town.coalition_id)
            )
        ).all()
        expired = await connection.scalar(
            select(func.count()).where(
                transactions.c.coalition_id == town.coalition_id, transactions.c.kind == "EXPIRE"
            )
        )
    return list(runs), int(expired or 0)


async def _recomputed_equals_stored(town: Town) -> None:
    async with town.sessions() as session:
        run_id, day = (
            await session.execute(
                select(settlement_runs.c.id, settlement_runs.c.business_date).where(
                    settlement_runs.c.coalition_id == town.coalition_id
                )
            )
        ).one()
        coalition = await coalitions.coalition_by_id(session, town.coalition_id)
        assert coalition is not None
        policy = await repository.policy(session, town.coalition_id, coalition.point_value)
        flows = await repository.day_flows(session, town.coalition_id, day)
        result = settle(flows, policy, exponent(coalition.currency))
        stored = (await lines_of(await session.connection(), [run_id]))[run_id]

    def figures(line: object) -> tuple[int, ...]:
        names = ("points_issued", "points_redeemed", "receivable_minor", "payable_minor", "fees_minor", "net_minor")
        return tuple(getattr(line, name) for name in names)

    assert [figures(line) for line in stored] == [figures(line) for line in result.lines]


async def _until_done(
    own: OwnServers, towns: list[tuple[Town, list[str]]], *, workers: int
) -> list[tuple[list[str], int]]:
    """Starts ``workers`` workers on the same database and Redis and waits until every day is settled and every lot expired."""
    running = []
    for _ in range(workers):
        process = subprocess.Popen(  # noqa: ASYNC220 - real workers are the point
            [sys.executable, "-m", "coalition", "worker"],
            env=_env(own), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert process.stderr is not None
        running.append((process, Lines(process.stderr)))
    try:
        for process, output in running:  # each walks every coalition before being told to stop
            await output.wait_for(lambda line: "nightly done" in line, process, "the nightly walk")
        states = [await _done(town) for town, _ in towns]
        assert all(runs and expired >= len(cards) for (runs, expired), (_, cards) in zip(states, towns, strict=True))
        return states
    finally:
        for process, _ in running:
            process.send_signal(signal.SIGTERM)
        for process, output in running:
            process.wait(timeout=60)
            output.finish()


async def test_a_worker_killed_at_random_moments_settles_and_expires_everything_once(own, towns) -> None:
    chance = random.Random(SEED)
    for _ in range(3):  # started, then killed before, during or after its nightly jobs
        worker = subprocess.Popen(  # noqa: ASYNC220 - a real worker is the point
            [sys.executable, "-m", "coalition", "worker"],
            env=_env(own), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert worker.stderr is not None
        output = Lines(worker.stderr)
        await output.wait_for(lambda line: "nightly" in line, worker, "the nightly jobs")  # at work now
        await asyncio.sleep(chance.uniform(0.0, 0.3))
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
        output.finish()
    states = await _until_done(own, towns, workers=1)
    await _each_once(own, towns, states)


async def _each_once(own: OwnServers, towns: list[tuple[Town, list[str]]], states: list[tuple[list[str], int]]) -> None:
    for (town, cards), (runs, expired) in zip(towns, states, strict=True):
        assert (runs, expired) == (["COMPUTED"], len(cards))  # one run a day, one expiry a lot
        await _recomputed_equals_stored(town)
    verify = subprocess.run(  # noqa: ASYNC221 - the CLI as an operator runs it
        [sys.executable, "-m", "coalition", "ledger", "verify"], env=_env(own), capture_output=True, text=True
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr


async def test_two_workers_on_the_same_database_and_redis_do_nothing_twice(own, towns) -> None:
    await _each_once(own, towns, await _until_done(own, towns, workers=2))


async def _blocked_settler(engine: AsyncEngine, worker: subprocess.Popen[str], output: Lines) -> int:
    """The backend of the worker's settlement, waiting for the matrix table inside its open transaction."""
    for _ in range(300):
        async with engine.connect() as connection:
            found = await connection.scalar(
                text(
                    "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND xact_start IS NOT NULL"
                    " AND query ILIKE 'DELETE FROM settlement_matrix%'"
                )
            )
        if found is not None:
            return int(found)
        assert worker.poll() is None, "the worker ended before settling"
        await asyncio.sleep(0.1)
    raise AssertionError("the settlement never reached the matrix:\n" + "\n".join(output.lines[-20:]))


async def test_a_worker_killed_inside_an_open_settlement_transaction_leaves_nothing_of_the_day(own, towns) -> None:
    """The test holds the matrix table locked, so the settlement of the first
    day waits there (replacing the run's figures: its matrix is the last it
    clears) with its run row inserted and locked in its open transaction;
    the worker is killed right then."""
    engine = create_engine(own.database_url, pool_size=2)
    ids = [town.coalition_id for town, _ in towns]
    try:
        async with engine.connect() as holder:
            async with holder.begin():
                await holder.execute(text("LOCK TABLE settlement_matrix IN SHARE MODE"))
                worker = subprocess.Popen(  # noqa: ASYNC220 - a real worker is the point
                    [sys.executable, "-m", "coalition", "worker"],
                    env=_env(own), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                )  # fmt: skip
                assert worker.stderr is not None
                output = Lines(worker.stderr)
                settler = await _blocked_settler(engine, worker, output)
                async with engine.connect() as connection:
                    written = await connection.scalar(
                        select(func.count()).where(settlement_runs.c.coalition_id.in_(ids))
                    )
                worker.send_signal(signal.SIGKILL)
                worker.wait(timeout=10)
                output.finish()
            # The lock is gone: the orphaned backend runs on, finds its client gone, and rolls back.
            for _ in range(300):
                async with engine.connect() as connection:
                    alive = await connection.scalar(
                        text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": settler}
                    )
                if not alive:
                    break
                await asyncio.sleep(0.1)
            assert not alive, "the killed worker's backend lingers"
        async with engine.connect() as connection:
            runs = await connection.scalar(select(func.count()).where(settlement_runs.c.coalition_id.in_(ids)))
            orphans = await connection.scalar(
                text("SELECT count(*) FROM settlement_lines WHERE run_id NOT IN (SELECT id FROM settlement_runs)")
            )
    finally:
        await engine.dispose()
    assert written == 0, "a run was visible outside its transaction"
    assert (runs, orphans) == (0, 0), "a half-written settlement survived the kill"
    await _each_once(own, towns, await _until_done(own, towns, workers=1))
