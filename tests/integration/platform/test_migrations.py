"""The migrations build exactly the schema the code describes, and undo cleanly."""

import asyncio
import uuid

import asyncpg
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import make_url

from coalition.migrations.models import metadata
from coalition.platform.runtime import migrate


def _scratch(database_url: str) -> tuple[str, str]:
    name = f"coalition_migrate_{uuid.uuid4().hex[:8]}"
    admin = (
        make_url(database_url).set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    )
    return name, admin


async def _admin(url: str, statement: str) -> None:
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def test_upgrade_downgrade_upgrade_and_no_drift(database_url) -> None:
    name, admin = _scratch(database_url)
    asyncio.run(_admin(admin, f"CREATE DATABASE {name}"))
    url = make_url(database_url).set(database=name).render_as_string(hide_password=False)
    try:
        migrate.upgrade(url)
        command.downgrade(migrate.alembic_config(url), "base")
        migrate.upgrade(url)
        asyncio.run(_assert_no_drift(url))
    finally:
        asyncio.run(_admin(admin, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


async def _assert_no_drift(url: str) -> None:
    from coalition.platform.runtime.database import create_engine

    engine = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as connection:
            differences = await connection.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync, opts={"compare_type": True}), metadata)
            )
    finally:
        await engine.dispose()
    assert differences == []
