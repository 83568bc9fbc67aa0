"""Revocations reach every API process at once through Redis, so a revoked
key stops working everywhere, not only after the credential cache expires.
Without Redis the cache's time limit still bounds how long it may be trusted."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from redis.asyncio import Redis
from redis.exceptions import RedisError

from coalition.platform.auth.service import Authenticator

CHANNEL = "coalition:credentials:revoked"
_log = logging.getLogger(__name__)


async def announce(redis: Redis) -> None:
    try:
        await redis.publish(CHANNEL, "revoked")
    except RedisError as error:
        _log.warning("revocation not broadcast (%s); other processes will catch up by expiry", error)


async def listen(redis: Redis, authenticator: Authenticator, *, retry_seconds: float = 1.0) -> None:
    """Forget remembered credentials whenever any process revokes one. Runs
    until cancelled; after a lost connection it forgets everything (a
    revocation may have been missed) and subscribes again."""
    while True:
        try:
            async with redis.pubsub() as pubsub:
                await pubsub.subscribe(CHANNEL)
                authenticator.forget_all()
                async for message in pubsub.listen():
                    if message["type"] == "message":
                        authenticator.forget_all()
        except RedisError:
            authenticator.forget_all()
            await asyncio.sleep(retry_seconds)


@contextlib.asynccontextmanager
async def listening(redis: Redis, authenticator: Authenticator) -> AsyncIterator[None]:
    task = asyncio.create_task(listen(redis, authenticator))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
