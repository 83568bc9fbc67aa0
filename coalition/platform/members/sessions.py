"""Members' wallet sessions, kept server-side in Redis (as staff sessions are).

The cookie carries only a random id; Redis holds the session under the id's
SHA-256. Each member has an index of their sessions, so erasure or a blocked
card signs them out everywhere at once. A session remembers when its member
last proved who they are (a code, a link, a passkey): moving points away asks
for that to be recent (``FRESH_FOR``)."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from redis.asyncio import Redis

IDLE_TIMEOUT = timedelta(days=30)
ABSOLUTE_TIMEOUT = timedelta(days=180)
FRESH_FOR = timedelta(minutes=15)

COOKIE_NAME = "coalition_wallet_session"
COOKIE_PATH = "/wallet"


@dataclass(frozen=True)
class MemberSession:
    member_id: uuid.UUID
    coalition_id: uuid.UUID
    signed_in_at: datetime
    last_seen_at: datetime
    # The last time the member proved who they are: sign-in or a fresh code.
    proven_at: datetime

    def is_fresh(self, now: datetime) -> bool:
        return now - self.proven_at <= FRESH_FOR


def _key(session_id: str) -> str:
    return "wallet:session:" + hashlib.sha256(session_id.encode()).hexdigest()


def _index(member_id: uuid.UUID) -> str:
    return f"wallet:sessions-of:{member_id}"


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _ttl(session: MemberSession, now: datetime) -> int:
    left = min(session.last_seen_at + IDLE_TIMEOUT, session.signed_in_at + ABSOLUTE_TIMEOUT) - now
    return max(1, int(left.total_seconds()))


async def _store(redis: Redis, session_id: str, session: MemberSession, now: datetime) -> None:
    fields = {
        "member": str(session.member_id),
        "coalition": str(session.coalition_id),
        "signed_in_at": session.signed_in_at.isoformat(),
        "last_seen_at": session.last_seen_at.isoformat(),
        "proven_at": session.proven_at.isoformat(),
    }
    async with redis.pipeline(transaction=True) as pipe:
        pipe.hset(_key(session_id), mapping=fields)
        pipe.expire(_key(session_id), _ttl(session, now))
        pipe.sadd(_index(session.member_id), _key(session_id))
        pipe.expire(_index(session.member_id), int(ABSOLUTE_TIMEOUT.total_seconds()))
        await pipe.execute()


async def open_session(
    redis: Redis, *, member_id: uuid.UUID, coalition_id: uuid.UUID, now: datetime, replacing: str | None = None
) -> str:
    """A new session id for a member who just signed in; the browser's previous session ends."""
    if replacing is not None:
        await close(redis, replacing)
    session_id = secrets.token_urlsafe(32)
    await _store(redis, session_id, MemberSession(member_id, coalition_id, now, now, now), now)
    return session_id


async def load_session(redis: Redis, session_id: str, now: datetime) -> MemberSession | None:
    """The live session with this id, its idle clock restarted; None if there is none or it timed out."""
    raw = await redis.hgetall(_key(session_id))  # type: ignore[misc]
    if not raw:
        return None
    fields = {_text(key): _text(value) for key, value in raw.items()}
    session = MemberSession(
        member_id=uuid.UUID(fields["member"]),
        coalition_id=uuid.UUID(fields["coalition"]),
        signed_in_at=datetime.fromisoformat(fields["signed_in_at"]),
        last_seen_at=datetime.fromisoformat(fields["last_seen_at"]),
        proven_at=datetime.fromisoformat(fields["proven_at"]),
    )
    if now >= session.last_seen_at + IDLE_TIMEOUT or now >= session.signed_in_at + ABSOLUTE_TIMEOUT:
        await close(redis, session_id)
        return None
    refreshed = replace(session, last_seen_at=now)
    await _store(redis, session_id, refreshed, now)
    return refreshed


async def mark_proven(redis: Redis, session_id: str, now: datetime) -> MemberSession | None:
    """The member just proved who they are again (a fresh code): the session is fresh."""
    session = await load_session(redis, session_id, now)
    if session is None:
        return None
    proven = replace(session, proven_at=now)
    await _store(redis, session_id, proven, now)
    return proven


async def close(redis: Redis, session_id: str) -> None:
    key = _key(session_id)
    member = await redis.hget(key, "member")  # type: ignore[misc]
    async with redis.pipeline(transaction=True) as pipe:
        pipe.delete(key)
        if member is not None:
            pipe.srem(_index(uuid.UUID(_text(member))), key)
        await pipe.execute()


async def close_all_for(redis: Redis, member_id: uuid.UUID) -> int:
    """End every session of this member, on every device; how many there were."""
    keys = await redis.smembers(_index(member_id))  # type: ignore[misc]
    async with redis.pipeline(transaction=True) as pipe:
        for key in keys:
            pipe.delete(key)
        pipe.delete(_index(member_id))
        results = await pipe.execute()
    return sum(int(deleted) for deleted in results[: len(keys)])


async def sessions_of(redis: Redis, member_id: uuid.UUID, now: datetime) -> list[MemberSession]:
    """The member's live sessions (for the download of their data); looking does not refresh them."""
    found = []
    for key in await redis.smembers(_index(member_id)):  # type: ignore[misc]
        raw = await redis.hgetall(_text(key))  # type: ignore[misc]
        if not raw:
            continue
        fields = {_text(name): _text(value) for name, value in raw.items()}
        found.append(
            MemberSession(
                member_id=uuid.UUID(fields["member"]),
                coalition_id=uuid.UUID(fields["coalition"]),
                signed_in_at=datetime.fromisoformat(fields["signed_in_at"]),
                last_seen_at=datetime.fromisoformat(fields["last_seen_at"]),
                proven_at=datetime.fromisoformat(fields["proven_at"]),
            )
        )
    return sorted((s for s in found if now < s.last_seen_at + IDLE_TIMEOUT), key=lambda s: s.signed_in_at)
