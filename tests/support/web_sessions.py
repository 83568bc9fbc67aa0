"""Signed-in browsers for page tests, without going through a sign-in page:
a staff person with one role, or a member, with a live session in Redis and
its cookie set on an httpx client of the app."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

import httpx
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from coalition.platform.members import sessions as member_sessions
from coalition.platform.staff import repository as staff_repository
from coalition.platform.staff import sessions as staff_sessions
from coalition.platform.staff.rules import Grant, StaffRole

_FORM_TOKEN = re.compile(r'name="_csrf_token" value="([^"]+)"')


async def add_staff_person(
    engine: AsyncEngine, *, coalition_id: uuid.UUID, role: StaffRole, partner_id: uuid.UUID | None = None,
    email: str | None = None, language: str = "en",
) -> uuid.UUID:  # fmt: skip
    """A staff person holding ``role`` (in ``partner_id``'s shop for shop roles)."""
    async with engine.begin() as connection:
        person_id = await staff_repository.insert_person(
            connection, coalition_id=coalition_id, email=email or f"{uuid.uuid4().hex[:10]}@staff.test",
            name="Test Person", language=language,
        )  # fmt: skip
        await staff_repository.add_grant(connection, person_id, Grant(role, partner_id))
    return person_id


async def sign_in_staff(
    client: httpx.AsyncClient, redis: Redis, *, person_id: uuid.UUID, coalition_id: uuid.UUID, role: StaffRole,
    partner_id: uuid.UUID | None = None,
) -> str:  # fmt: skip
    """Give ``client`` a live portal session for that person and role; the session id."""
    session_id = await staff_sessions.open_session(
        redis, person_id=person_id, coalition_id=coalition_id, grant=Grant(role, partner_id), now=datetime.now(UTC)
    )
    client.cookies.set(staff_sessions.COOKIE_NAME, session_id)
    return session_id


async def sign_in_member(
    client: httpx.AsyncClient, redis: Redis, *, member_id: uuid.UUID, coalition_id: uuid.UUID
) -> str:
    """Give ``client`` a live wallet session for that member; the session id."""
    session_id = await member_sessions.open_session(
        redis, member_id=member_id, coalition_id=coalition_id, now=datetime.now(UTC)
    )
    client.cookies.set(member_sessions.COOKIE_NAME, session_id)
    return session_id


def form_token(page: httpx.Response) -> str:
    """The CSRF token a page's forms must send back (field ``_csrf_token``)."""
    found = _FORM_TOKEN.search(page.text)
    assert found is not None, "the page has no form token"
    return found.group(1)
