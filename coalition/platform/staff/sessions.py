"""Staff sessions, kept server-side in Redis.

The cookie carries only a random id; Redis holds the session under the id's
SHA-256, so a copy of Redis does not hand out usable cookies. Each person has
an index of their sessions, so removing or revoking a person signs them out
everywhere at once."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from redis.asyncio import Redis

from coalition.platform.staff.rules import Grant, StaffRole

IDLE_TIMEOUT = timedelta(minutes=30)
ABSOLUTE_TIMEOUT = timedelta(hours=12)

# For the web layer's Set-Cookie: the cookie is invisible to scripts, sent on
# top-level navigation from other sites (links in mails) but not on their
# forms, and Secure whenever the public address is https.
COOKIE_NAME = "coalition_staff_session"
COOKIE_HTTPONLY = True
COOKIE_SAMESITE = "lax"
COOKIE_PATH = "/"


def cookie_secure(public_url: str) -> bool:
    return public_url.lower().startswith("https://")


@dataclass(frozen=True)
class StaffSession:
    person_id: uuid.UUID
    coalition_id: uuid.UUID
    grant: Grant
    signed_in_at: datetime
    last_seen_at: datetime


def _key(session_id: str) -> str:
    return "staff:session:" + hashlib.sha256(session_id.encode()).hexdigest()


def _index(person_id: uuid.UUID) -> str:
    return f"staff:sessions-of:{person_id}"


def _text(value: bytes | str) -> str:
    # Whether or not the caller's client decodes responses.
    return value.decode() if isinstance(value, bytes) else value


def _ttl(session: StaffSession, now: datetime) -> int:
    left = min(session.last_seen_at + IDLE_TIMEOUT, session.signed_in_at + ABSOLUTE_TIMEOUT) - now
    return max(1, int(left.total_seconds()))


async def _store(redis: Redis, session_id: str, session: StaffSession, now: datetime) -> None:
    fields = {
        "person": str(session.person_id),
        "coalition": str(session.coalition_id),
        "role": session.grant.role.value,
        "partner": str(session.grant.partner_id or ""),
        "signed_in_at": session.signed_in_at.isoformat(),
        "last_seen_at": session.last_seen_at.isoformat(),
    }
    ttl = _ttl(session, now)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.hset(_key(session_id), mapping=fields)
        pipe.expire(_key(session_id), ttl)
        pipe.sadd(_index(session.person_id), _key(session_id))
        pipe.expire(_index(session.person_id), int(ABSOLUTE_TIMEOUT.total_seconds()))
        await pipe.execute()


async def open_session(
    redis: Redis,
    *,
    person_id: uuid.UUID,
    coalition_id: uuid.UUID,
    grant: Grant,
    now: datetime,
    replacing: str | None = None,
) -> str:
    """A new session id for a person who just signed in; the session the
    browser had before (``replacing``) ends, so an id planted before sign-in is worthless."""
    if replacing is not None:
        await close(redis, replacing)
    session_id = secrets.token_urlsafe(32)
    await _store(redis, session_id, StaffSession(person_id, coalition_id, grant, now, now), now)
    return session_id


async def load_session(redis: Redis, session_id: str, now: datetime) -> StaffSession | None:
    """The live session with this id, its idle clock restarted; None if there
    is none, or it passed its idle or absolute timeout."""
    raw = await redis.hgetall(_key(session_id))  # type: ignore[misc]
    if not raw:
        return None
    fields = {_text(key): _text(value) for key, value in raw.items()}
    session = StaffSession(
        person_id=uuid.UUID(fields["person"]),
        coalition_id=uuid.UUID(fields["coalition"]),
        grant=Grant(StaffRole(fields["role"]), uuid.UUID(fields["partner"]) if fields["partner"] else None),
        signed_in_at=datetime.fromisoformat(fields["signed_in_at"]),
        last_seen_at=datetime.fromisoformat(fields["last_seen_at"]),
    )
    if now >= session.last_seen_at + IDLE_TIMEOUT or now >= session.signed_in_at + ABSOLUTE_TIMEOUT:
        await close(redis, session_id)
        return None
    refreshed = StaffSession(session.person_id, session.coalition_id, session.grant, session.signed_in_at, now)
    await _store(redis, session_id, refreshed, now)
    return refreshed


async def rotate(redis: Redis, session_id: str, now: datetime) -> str | None:
    """The same session under a new id (after a change of rights); None if it had ended."""
    session = await load_session(redis, session_id, now)
    if session is None:
        return None
    await close(redis, session_id)
    new_id = secrets.token_urlsafe(32)
    await _store(redis, new_id, session, now)
    return new_id


async def close(redis: Redis, session_id: str) -> None:
    key = _key(session_id)
    person = await redis.hget(key, "person")  # type: ignore[misc]
    async with redis.pipeline(transaction=True) as pipe:
        pipe.delete(key)
        if person is not None:
            pipe.srem(_index(uuid.UUID(_text(person))), key)
        await pipe.execute()


async def close_all_for(redis: Redis, person_id: uuid.UUID) -> int:
    """End every session of this person, on every device; how many there were."""
    keys = await redis.smembers(_index(person_id))  # type: ignore[misc]
    async with redis.pipeline(transaction=True) as pipe:
        for key in keys:
            pipe.delete(key)
        pipe.delete(_index(person_id))
        results = await pipe.execute()
    return sum(int(deleted) for deleted in results[: len(keys)])
