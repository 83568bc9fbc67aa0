"""Engine construction and the table metadata every domain shares."""

from __future__ import annotations

from sqlalchemy import DateTime, MetaData, literal_column
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

__all__ = ["EXCLUDED_UPDATED_AT", "AsyncSession", "Executor", "create_engine", "create_sessionmaker", "metadata"]

# An upsert's updated_at: the inserted row's default, now(). Citus refuses now()
# itself in ON CONFLICT DO UPDATE, and the value is the same.
EXCLUDED_UPDATED_AT = literal_column("excluded.updated_at", DateTime(timezone=True))

# Repositories accept either: a session in a use case, a bare connection in a DataLoader.
Executor = AsyncSession | AsyncConnection

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def asyncpg_url(url: str) -> str:
    """Accept the plain ``postgresql://`` URLs people paste and use the asyncpg driver."""
    parsed = make_url(url)
    if parsed.drivername in ("postgres", "postgresql", "postgresql+asyncpg"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    else:
        raise ValueError(f"not a PostgreSQL URL: {parsed.drivername}")
    return parsed.render_as_string(hide_password=False)


def create_engine(url: str, *, pool_size: int = 10, answer_within: float | None = None) -> AsyncEngine:
    """``answer_within`` (seconds) bounds connecting, each statement and the wait
    for a pooled connection, so a database that stops answering gives errors,
    not requests that hang; the API sets it, batch jobs with long statements don't."""
    connect_args: dict[str, object] = {"server_settings": {"application_name": "coalition"}}
    pool_wait: dict[str, float] = {}
    if answer_within is not None:
        connect_args |= {"timeout": answer_within, "command_timeout": answer_within}
        pool_wait = {"pool_timeout": answer_within}
    return create_async_engine(
        asyncpg_url(url),
        pool_size=pool_size,
        max_overflow=pool_size,
        # Postings are single statements that commit on their own; the rest
        # opens explicit transactions through sessions.
        connect_args=connect_args,
        **pool_wait,
    )


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
