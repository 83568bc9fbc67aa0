"""A database of a test's own, migrated, on the session's server: for tests
that let a process loose on the whole database (the nightly job walks every
coalition) or break it on purpose."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from sqlalchemy.engine import make_url

from coalition.platform.runtime import migrate


def _plain(url: str, database: str) -> str:
    return make_url(url).set(drivername="postgresql", database=database).render_as_string(hide_password=False)


def admin_sql(url: str, statement: str) -> None:
    """One statement on the server of ``url`` (CREATE/DROP DATABASE), from synchronous code."""

    async def run() -> None:
        connection = await asyncpg.connect(
            make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        )
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(run())


@asynccontextmanager
async def own_database(session_database_url: str, *, migrated: bool = True) -> AsyncIterator[str]:
    """A new database next to the session's (migrated, unless asked for an empty one); its URL; dropped after."""
    name = f"coalition_own_{uuid.uuid4().hex[:10]}"
    admin = _plain(session_database_url, "postgres")
    connection = await asyncpg.connect(admin)
    try:
        await connection.execute(f"CREATE DATABASE {name}")
    finally:
        await connection.close()
    url = make_url(session_database_url).set(database=name).render_as_string(hide_password=False)
    try:
        if migrated:
            await asyncio.to_thread(migrate.upgrade, url)
        yield url
    finally:
        connection = await asyncpg.connect(admin)
        try:
            await connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        finally:
            await connection.close()
