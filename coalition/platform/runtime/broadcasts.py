"""Changes that must reach every API process at once go through Redis pub/sub:
a revoked credential stops working everywhere, and saved programme rules
apply at the next till request, not only when the in-process caches expire.
Without Redis, the caches' time limits still bound how stale anything may be,
and the credentials cache, which security depends on, is not used at all
while this process is not subscribed (``Subscription.live``): every request's
credential is looked up, so a revocation made anywhere counts at once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Mapping
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

CREDENTIALS_REVOKED = "coalition:credentials:revoked"
RULES_CHANGED = "coalition:rules:changed"
_log = logging.getLogger(__name__)


class Forgetful(Protocol):
    def forget_all(self) -> None: ...


async def announce(redis: Redis, channel: str = CREDENTIALS_REVOKED) -> None:
    try:
        await redis.publish(channel, "changed")
    except RedisError as error:
        _log.warning("%s not broadcast (%s); other processes will catch up by expiry", channel, error)


class Subscription:
    """Whether this process is subscribed right now: news sent meanwhile reaches it."""

    def __init__(self) -> None:
        self.live = False


def _forget(caches: Mapping[str, Forgetful]) -> None:
    for cache in caches.values():
        cache.forget_all()


async def listen(
    redis: Redis, caches: Mapping[str, Forgetful], subscription: Subscription, *, retry_seconds: float = 1.0
) -> None:
    """Empty the cache of a channel whenever any process announces on it.
    Runs until cancelled; after a lost connection it empties every cache (a
    message may have been missed) and subscribes again."""
    while True:
        try:
            async with redis.pubsub() as pubsub:
                await pubsub.subscribe(*caches)
                subscription.live = True
                _forget(caches)
                async for message in pubsub.listen():
                    if message["type"] == "message":
                        channel = message["channel"]
                        caches[channel.decode() if isinstance(channel, bytes) else channel].forget_all()
        except (RedisError, OSError):
            pass
        finally:
            subscription.live = False
        _forget(caches)
        await asyncio.sleep(retry_seconds)


@contextlib.asynccontextmanager
async def listening(redis: Redis, caches: Mapping[str, Forgetful], subscription: Subscription) -> AsyncIterator[None]:
    task = asyncio.create_task(listen(redis, caches, subscription))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
