"""Back up a database with a day of activity, wipe it, restore it: every row
comes back, and the ledger's invariants still hold."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from coalition.partners.earning.till import TillSetups
from coalition.platform.ledger.repository import PostingGateway
from coalition.platform.ledger.service import LedgerService
from coalition.platform.ledger.verify import verify
from coalition.platform.runtime import migrate
from coalition.platform.runtime.backup import BackupError, backup, restore
from coalition.platform.runtime.database import create_engine
from coalition.settlement import service as settlement
from tests.support.databases import admin_sql
from tests.support.settlement import post_hand_computed_day
from tests.support.time_passing import business_date_now
from tests.support.town import Town

# Tables the activity below must fill, so that "identical" compares figures, not empty tables.
_FILLED = ("wallets", "ledger_transactions", "ledger_entries", "lots", "lot_consumptions", "settlement_runs",
           "settlement_lines", "settlement_obligations", "audit_log")  # fmt: skip


@pytest.fixture
def own_database(settings) -> Iterator[tuple[str, str]]:
    """A database of its own on the test server (this test drops it), and the server's admin URL."""
    server = make_url(settings.database_url).set(drivername="postgresql")
    name = f"coalition_backup_{uuid.uuid4().hex[:10]}"
    admin = server.render_as_string(hide_password=False)
    admin_sql(admin, f"CREATE DATABASE {name}")
    yield server.set(database=name).render_as_string(hide_password=False), admin
    admin_sql(admin, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


async def snapshot(engine: AsyncEngine) -> dict[str, list[str]]:
    """Every row of every table, and every sequence's position."""
    async with engine.connect() as connection:
        tables = (
            await connection.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
        ).scalars()
        rows: dict[str, list[str]] = {}
        for table in sorted(tables):
            found = await connection.execute(text(f'SELECT to_jsonb(t)::text FROM "{table}" t'))
            rows[table] = sorted(found.scalars())
        sequences = await connection.execute(text("SELECT sequencename, last_value::text FROM pg_sequences"))
        rows["(sequences)"] = sorted(f"{name}={value}" for name, value in sequences)
    return rows


async def _day_of_activity(engine: AsyncEngine) -> uuid.UUID:
    gateway = PostingGateway(engine)
    town = await Town(engine, LedgerService(gateway), TillSetups(engine)).create()
    await post_hand_computed_day(town)  # earns, redemptions, reversals, an expiry, a bonus, fees
    async with town.sessions.begin() as session:
        await settlement.run_day(session, town.coalition_id, await business_date_now(town))
    await gateway.aclose()
    return town.coalition_id


async def test_back_up_wipe_restore_gives_back_every_figure(own_database, tmp_path: Path) -> None:
    url, admin = own_database
    name = make_url(url).database
    await asyncio.to_thread(migrate.upgrade, url)
    engine = create_engine(url, pool_size=5)
    try:
        coalition_id = await _day_of_activity(engine)
        before = await snapshot(engine)
    finally:
        await engine.dispose()
    assert all(before[table] for table in _FILLED), {table: len(before[table]) for table in _FILLED}

    file = tmp_path / "coalition.dump"
    await asyncio.to_thread(backup, url, file)
    assert file.stat().st_size > 0
    assert not file.with_name("coalition.dump.partial").exists()

    await asyncio.to_thread(admin_sql, admin, f"DROP DATABASE {name} WITH (FORCE)")
    await asyncio.to_thread(admin_sql, admin, f"CREATE DATABASE {name}")
    await asyncio.to_thread(restore, url, file)

    engine = create_engine(url, pool_size=5)
    try:
        assert await snapshot(engine) == before
        async with engine.connect() as connection:
            assert await verify(connection) == []
            assert await verify(connection, coalition_id) == []
        # The restored database is a working one: its triggers and sequences came back too.
        gateway = PostingGateway(engine)
        town = await Town(engine, LedgerService(gateway), TillSetups(engine)).create()
        shop, _ = await town.partner()
        _, card = await town.member(shop)
        earned = await town.earn(shop, card, "12")
        await gateway.aclose()
        assert earned.points == 12
    finally:
        await engine.dispose()
    assert not await asyncio.to_thread(migrate.pending, url)


async def test_restore_refuses_a_database_that_has_tables_and_changes_nothing(own_database, tmp_path) -> None:
    url, _ = own_database
    await asyncio.to_thread(migrate.upgrade, url)
    file = tmp_path / "coalition.dump"
    await asyncio.to_thread(backup, url, file)
    engine = create_engine(url, pool_size=2)
    try:
        await _day_of_activity(engine)
        before = await snapshot(engine)
        with pytest.raises(BackupError) as refused:
            await asyncio.to_thread(restore, url, file)
        assert refused.value.code == "RESTORE_TARGET_NOT_EMPTY"
        assert await snapshot(engine) == before
    finally:
        await engine.dispose()


def test_restore_of_a_missing_file_is_named(own_database, tmp_path) -> None:
    url, _ = own_database
    with pytest.raises(BackupError) as refused:
        restore(url, tmp_path / "no-such.dump")
    assert refused.value.code == "BACKUP_NOT_FOUND"


def test_a_broken_backup_file_leaves_the_database_empty(own_database, tmp_path) -> None:
    url, _ = own_database
    broken = tmp_path / "broken.dump"
    broken.write_bytes(b"PGDMP not really a dump")
    with pytest.raises(BackupError) as refused:
        restore(url, broken)
    assert refused.value.code == "RESTORE_FAILED"
    assert _tables(url) == 0


def _tables(url: str) -> int:
    async def count() -> int:
        connection = await asyncpg.connect(url)
        try:
            return await connection.fetchval("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
        finally:
            await connection.close()

    return asyncio.run(count())
