"""The one place a use case's changes are committed, and then made known.

Services never commit. When a service changes something other processes keep
in memory (rules, credentials), it says so with ``announce_after_commit``;
the entry point (a GraphQL mutation, a web page, a CLI command, a job) runs
the use case inside ``unit_of_work``, which commits and only then empties this
process's caches and broadcasts the change to the others. A use case that
fails announces nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from coalition.platform.runtime.broadcasts import Forgetful, announce

_PENDING = "coalition.announce_after_commit"


def announce_after_commit(session: AsyncSession, channel: str) -> None:
    session.info.setdefault(_PENDING, set()).add(channel)


@asynccontextmanager
async def unit_of_work(
    sessions: async_sessionmaker[AsyncSession],
    redis: Redis | None = None,
    local_caches: Mapping[str, Forgetful] | None = None,
) -> AsyncIterator[AsyncSession]:
    """``local_caches`` maps a channel to this process's cache for it (the same
    mapping the broadcast listener uses), so this process reads its own change
    at once rather than when its own broadcast comes back."""
    async with sessions.begin() as session:
        yield session
    channels: set[str] = session.info.pop(_PENDING, set())
    for channel in sorted(channels):
        if local_caches is not None and channel in local_caches:
            local_caches[channel].forget_all()
        if redis is not None:
            await announce(redis, channel)
