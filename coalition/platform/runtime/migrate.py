"""Running Alembic from the CLI and the tests."""

from __future__ import annotations

from collections.abc import Callable
from importlib.resources import files
from pathlib import Path

from alembic import command
from alembic.config import Config


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(Path(str(files("coalition"))) / "migrations"))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def run_sql_file(name: str) -> None:
    """Run one of ``migrations/sql/*.sql`` inside the current migration.

    asyncpg prepares every statement and a prepared statement holds one
    command, so a script of functions and triggers goes through the driver's
    simple-query ``execute`` instead.
    """
    from alembic import op
    from sqlalchemy.util import await_only

    script = (Path(str(files("coalition"))) / "migrations" / "sql" / name).read_text()
    driver_connection = op.get_bind().connection.driver_connection
    await_only(driver_connection.execute(script))  # type: ignore[union-attr]


def sql_file_steps(up: tuple[str, ...], down: tuple[str, ...]) -> tuple[Callable[[], None], Callable[[], None]]:
    """A migration's ``upgrade`` and ``downgrade`` for a revision that only runs
    SQL files: each step runs its files in the order given."""

    def upgrade() -> None:
        for name in up:
            run_sql_file(name)

    def downgrade() -> None:
        for name in down:
            run_sql_file(name)

    return upgrade, downgrade


def pending(database_url: str) -> bool:
    """True when the database is behind the code's migrations."""
    import asyncio

    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from coalition.platform.runtime.database import create_engine

    heads = set(ScriptDirectory.from_config(alembic_config(database_url)).get_heads())

    async def current() -> set[str]:
        engine = create_engine(database_url, pool_size=1)
        try:
            async with engine.connect() as connection:
                revisions = await connection.run_sync(lambda sync: MigrationContext.configure(sync).get_current_heads())
        finally:
            await engine.dispose()
        return set(revisions)

    return asyncio.run(current()) != heads
