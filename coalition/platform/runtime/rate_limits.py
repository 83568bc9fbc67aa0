"""Rate limits per bearer credential and per client address, kept in Redis.

A fixed window per limit: one Lua script (sent by its SHA) counts the request against both
keys and returns what is left, so a request costs one Redis round trip
whatever it is. A request over either limit gets ``429`` with
``Retry-After`` (the seconds until its window ends) and nothing runs.

When Redis cannot be reached the limits fail open: tills keep posting
through a Redis outage (postings live in PostgreSQL, and losing a sale's
points is worse than a burst going unthrottled). After a failure Redis is
not asked again for a few seconds, so an outage does not add a timeout to
every request. Health checks are never limited: a load balancer must see the
truth about a busy server.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import cast

import structlog
from litestar.enums import ScopeType
from litestar.types import ASGIApp, HTTPResponseBodyEvent, HTTPResponseStartEvent, Receive, Scope, Send
from redis.asyncio import Redis
from redis.commands.core import AsyncScript
from redis.exceptions import RedisError

_log = structlog.stdlib.get_logger("coalition.rate_limits")

# KEYS: the counters to charge; ARGV[1]: the window in seconds; ARGV[2..]: each key's limit.
# Returns the first exceeded key's position (0: none) and the window's seconds left.
_CHARGE = """
local over = 0
for i, key in ipairs(KEYS) do
  local count = redis.call('INCR', key)
  if count == 1 then redis.call('EXPIRE', key, ARGV[1]) end
  if over == 0 and count > tonumber(ARGV[i + 1]) then over = i end
end
local left = 0
if over > 0 then left = redis.call('TTL', KEYS[over]) end
return {over, left}
"""

_EXEMPT_PATHS = ("/health/",)
_REDIS_TIMEOUT_SECONDS = 0.25
_REDIS_RETRY_AFTER_SECONDS = 2.0


@dataclass(frozen=True)
class Limits:
    window_seconds: int
    per_credential: int  # 0: no limit
    per_address: int  # 0: no limit
    exempt_addresses: frozenset[str]


class RateLimiter:
    """Charges requests against their limits; says how long an over-limit caller must wait."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._redis_down_until = 0.0
        self._script: AsyncScript | None = None  # by its SHA once Redis knows it: a short command

    def keys(self, token: str | None, address: str | None) -> list[tuple[str, int]]:
        limits, window = self.limits, int(time.time()) // self.limits.window_seconds
        keys: list[tuple[str, int]] = []
        if token and limits.per_credential:
            digest = hashlib.sha256(token.encode()).hexdigest()[:32]
            keys.append((f"rate:credential:{digest}:{window}", limits.per_credential))
        if address and limits.per_address and address not in limits.exempt_addresses:
            keys.append((f"rate:address:{address}:{window}", limits.per_address))
        return keys

    async def retry_after(self, redis: Redis, token: str | None, address: str | None) -> int | None:
        """Seconds to wait when this request is over a limit; ``None``: let it through."""
        keys = self.keys(token, address)
        if not keys or time.monotonic() < self._redis_down_until:
            return None
        try:
            async with asyncio.timeout(_REDIS_TIMEOUT_SECONDS):
                if self._script is None or self._script.registered_client is not redis:
                    self._script = redis.register_script(_CHARGE)
                charged = self._script(
                    keys=[key for key, _ in keys], args=[self.limits.window_seconds, *(limit for _, limit in keys)]
                )
                over, left = await cast(Awaitable[list[int]], charged)
        except (RedisError, OSError, TimeoutError) as exc:
            self._redis_down_until = time.monotonic() + _REDIS_RETRY_AFTER_SECONDS
            _log.warning("rate limits not enforced: redis unavailable", error=type(exc).__name__)
            return None
        if not over:
            return None
        return max(int(left), 1)


def _bearer(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return token.strip() or None if scheme.lower() == "bearer" else None
    return None


def rate_limited(limiter: RateLimiter, redis_of: Callable[[Scope], Redis | None]) -> Callable[[ASGIApp], ASGIApp]:
    """The middleware; ``redis_of`` finds the app's Redis client (none before startup)."""

    def wrap(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != ScopeType.HTTP or scope["path"].startswith(_EXEMPT_PATHS):
                await app(scope, receive, send)
                return
            redis = redis_of(scope)
            client = scope.get("client")
            wait = await limiter.retry_after(redis, _bearer(scope), client[0] if client else None) if redis else None
            if wait is None:
                await app(scope, receive, send)
                return
            _log.info("request rate limited", path=scope["path"], retry_after=wait)
            body = json.dumps(
                {
                    "errors": [
                        {"message": f"Too many requests: retry after {wait} s.", "extensions": {"code": "RATE_LIMITED"}}
                    ]
                }
            ).encode()
            start: HTTPResponseStartEvent = {
                "type": "http.response.start",
                "status": 429,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"retry-after", str(wait).encode()),
                ],
            }
            end: HTTPResponseBodyEvent = {"type": "http.response.body", "body": body, "more_body": False}
            await send(start)
            await send(end)

        return middleware

    return wrap
