"""Authorised download links: the API checks who may see a file, then hands
out an unguessable link valid for a few minutes, kept in Redis so every API
process can serve it. The link itself carries no rights beyond that file."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from redis.asyncio import Redis

LIFETIME = timedelta(minutes=10)
_PREFIX = "coalition:download:"


async def issue(redis: Redis, what: dict[str, Any]) -> tuple[str, datetime]:
    token = secrets.token_urlsafe(24)
    await redis.set(_PREFIX + token, json.dumps(what), ex=int(LIFETIME.total_seconds()))
    return f"/downloads/{token}", datetime.now(UTC) + LIFETIME


async def look_up(redis: Redis, token: str) -> dict[str, Any] | None:
    if not token or len(token) > 64:
        return None
    raw = await redis.get(_PREFIX + token)
    found: dict[str, Any] | None = json.loads(raw) if raw else None
    return found
