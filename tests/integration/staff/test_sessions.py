"""Staff sessions in Redis: opened, rotated, timed out, and ended everywhere at once."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from redis.asyncio import Redis

from coalition.platform.staff import sessions
from coalition.platform.staff.rules import Grant, StaffRole

GRANT = Grant(StaffRole.CASHIER, uuid.uuid4())


@pytest.fixture
async def redis(settings) -> AsyncIterator[Redis]:
    client = Redis.from_url(settings.redis_url)
    yield client
    await client.aclose()


async def _open(redis: Redis, person: uuid.UUID, now: datetime, replacing: str | None = None) -> str:
    return await sessions.open_session(
        redis, person_id=person, coalition_id=uuid.uuid4(), grant=GRANT, now=now, replacing=replacing
    )


async def test_a_session_is_found_by_its_id_only_and_redis_holds_no_usable_id(redis: Redis) -> None:
    person, now = uuid.uuid4(), datetime.now(UTC)
    session_id = await _open(redis, person, now)
    loaded = await sessions.load_session(redis, session_id, now + timedelta(minutes=1))
    assert loaded is not None
    assert (loaded.person_id, loaded.grant) == (person, GRANT)
    assert await sessions.load_session(redis, session_id + "x", now) is None
    assert not [key async for key in redis.scan_iter(match=f"*{session_id}*")]


async def test_signing_in_again_ends_the_session_the_browser_had(redis: Redis) -> None:
    person, now = uuid.uuid4(), datetime.now(UTC)
    before = await _open(redis, person, now)
    after = await _open(redis, person, now, replacing=before)
    assert after != before
    assert await sessions.load_session(redis, before, now) is None
    assert await sessions.load_session(redis, after, now) is not None


async def test_rotate_moves_the_session_to_a_new_id(redis: Redis) -> None:
    person, now = uuid.uuid4(), datetime.now(UTC)
    old = await _open(redis, person, now)
    new = await sessions.rotate(redis, old, now)
    assert new is not None
    assert new != old
    assert await sessions.load_session(redis, old, now) is None
    rotated = await sessions.load_session(redis, new, now)
    assert rotated is not None
    assert rotated.person_id == person
    assert rotated.signed_in_at == now


async def test_an_idle_session_ends_after_30_minutes_and_any_after_12_hours(redis: Redis) -> None:
    person, now = uuid.uuid4(), datetime.now(UTC)
    idle = await _open(redis, person, now)
    assert await sessions.load_session(redis, idle, now + sessions.IDLE_TIMEOUT) is None

    busy = await _open(redis, person, now)
    moment = now
    while moment + timedelta(minutes=25) < now + sessions.ABSOLUTE_TIMEOUT:
        moment += timedelta(minutes=25)
        assert await sessions.load_session(redis, busy, moment) is not None  # each use restarts the idle clock
    assert await sessions.load_session(redis, busy, now + sessions.ABSOLUTE_TIMEOUT) is None


async def test_closing_all_of_a_persons_sessions_signs_them_out_everywhere_and_no_one_else(redis: Redis) -> None:
    person, colleague, now = uuid.uuid4(), uuid.uuid4(), datetime.now(UTC)
    phone, laptop = await _open(redis, person, now), await _open(redis, person, now)
    theirs = await _open(redis, colleague, now)
    await sessions.close(redis, phone)
    tablet = await _open(redis, person, now)
    assert await sessions.close_all_for(redis, person) == 2
    assert [await sessions.load_session(redis, s, now) for s in (phone, laptop, tablet)] == [None, None, None]
    assert await sessions.load_session(redis, theirs, now) is not None


def test_the_cookie_is_secure_behind_https_only() -> None:
    assert sessions.cookie_secure("https://portal.town.example")
    assert not sessions.cookie_secure("http://127.0.0.1:8000")
    assert (sessions.COOKIE_HTTPONLY, sessions.COOKIE_SAMESITE) == (True, "lax")
