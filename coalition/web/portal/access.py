"""What the portal's sign-in pages share: the settings and services, the
session cookie, where to go after signing in, and a sign-in under way.

A sign-in under way (the password was right and the second factor is asked
for, or a person with several roles is choosing one) is kept in Redis for a
few minutes under a random id its own cookie carries; it holds no secret."""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar import Response
from litestar.datastructures import Cookie
from litestar.response import Redirect
from redis.asyncio import Redis

from coalition.graphql.context import Services
from coalition.platform.coalitions.repository import CoalitionRecord, coalition_by_slug
from coalition.platform.runtime.settings import Settings
from coalition.platform.staff import repository as staff_repository
from coalition.platform.staff import sessions
from coalition.platform.staff.rules import Grant, StaffRole
from coalition.platform.staff.service import Mailing
from coalition.platform.staff.sign_in import Attempt
from coalition.web.i18n import LANGUAGE_COOKIE, translations
from coalition.web.pages import AnyRequest, html_page, page_language
from coalition.web.portal.layout import home_path

PENDING_COOKIE = "coalition_staff_pending"
PENDING_PATH = "/portal/sign-in"
PENDING_FOR = timedelta(minutes=5)
# The coalition a browser last signed in to: the form need not ask again.
COALITION_COOKIE = "coalition_portal_coalition"
YEAR = 365 * 24 * 3600


def settings_of(request: AnyRequest) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def services_of(request: AnyRequest) -> Services:
    services: Services = request.app.state.services
    return services


def mailing_of(request: AnyRequest) -> Mailing:
    settings = settings_of(request)
    return Mailing(settings.public_url, settings.mail_from)


def attempt_of(request: AnyRequest, coalition_id: uuid.UUID) -> Attempt:
    client = request.client.host if request.client else "unknown"
    return Attempt(coalition_id=coalition_id, client=client, now=datetime.now(UTC))


def is_secure(request: AnyRequest) -> bool:
    """Secure cookies when the browser came over HTTPS: the request's own
    scheme, or the public address people open (a proxy ending TLS in front)."""
    return request.url.scheme == "https" or sessions.cookie_secure(settings_of(request).public_url)


def local_path(candidate: str | None) -> str | None:
    """``candidate`` if it is a path on this site (never another host), else None."""
    if not candidate or not candidate.startswith("/") or candidate.startswith("//") or "\\" in candidate:
        return None
    return candidate


def destination(next_path: str | None, role: StaffRole) -> str:
    return local_path(next_path) or home_path(role)


async def portal_coalition(request: AnyRequest, slug: str | None) -> CoalitionRecord | None:
    """The coalition a sign-in form is for: the server's (``portal_coalition``), else the one named."""
    chosen = settings_of(request).portal_coalition or (slug or "").strip()
    if not chosen:
        return None
    async with services_of(request).reads.connect() as connection:
        return await coalition_by_slug(connection, chosen)


def remembered_coalition(request: AnyRequest) -> str:
    return request.cookies.get(COALITION_COOKIE, "")


def asks_for_coalition(request: AnyRequest) -> bool:
    return settings_of(request).portal_coalition is None


def session_cookie(request: AnyRequest, session_id: str) -> Cookie:
    return Cookie(
        key=sessions.COOKIE_NAME, value=session_id, path=sessions.COOKIE_PATH, httponly=sessions.COOKIE_HTTPONLY,
        samesite="lax", secure=is_secure(request),
    )  # fmt: skip


def ended_cookie(name: str, path: str) -> Cookie:
    return Cookie(key=name, value="", path=path, max_age=0, expires=0, httponly=True, samesite="lax")


async def signed_in(
    request: AnyRequest, *, person_id: uuid.UUID, coalition_id: uuid.UUID, grant: Grant, next_path: str | None,
    slug: str | None = None,
) -> Redirect:  # fmt: skip
    """A new session (the browser's old one, if any, ends: its id changes at
    sign-in) and on to where the person was going."""
    redis = services_of(request).redis
    session_id = await sessions.open_session(
        redis, person_id=person_id, coalition_id=coalition_id, grant=grant, now=datetime.now(UTC),
        replacing=request.cookies.get(sessions.COOKIE_NAME),
    )  # fmt: skip
    cookies = [session_cookie(request, session_id), ended_cookie(PENDING_COOKIE, PENDING_PATH)]
    async with services_of(request).reads.connect() as connection:
        person = await staff_repository.person_by_id(connection, person_id)
    if person is not None:
        # The pages speak the person's language from now on (the chooser still changes it).
        cookies.append(Cookie(key=LANGUAGE_COOKIE, value=person.language, max_age=YEAR, path="/", httponly=True,
                              samesite="lax", secure=is_secure(request)))  # fmt: skip
    if slug:
        cookies.append(Cookie(key=COALITION_COOKIE, value=slug, max_age=YEAR, path="/portal", httponly=True,
                              samesite="lax", secure=is_secure(request)))  # fmt: skip
    return Redirect(destination(next_path, grant.role), status_code=303, cookies=cookies)


def _pending_key(pending_id: str) -> str:
    return "portal:sign-in-pending:" + hashlib.sha256(pending_id.encode()).hexdigest()


async def begin_pending(redis: Redis, request: AnyRequest, stage: str, **values: Any) -> Redirect:
    """Remember a sign-in under way and go to its next step."""
    pending_id = secrets.token_urlsafe(32)
    await redis.set(
        _pending_key(pending_id), json.dumps({"stage": stage, **values}), ex=int(PENDING_FOR.total_seconds())
    )
    cookie = Cookie(
        key=PENDING_COOKIE, value=pending_id, path=PENDING_PATH, max_age=int(PENDING_FOR.total_seconds()),
        httponly=True, samesite="lax", secure=is_secure(request),
    )  # fmt: skip
    return Redirect(f"/portal/sign-in/{stage}", status_code=303, cookies=[cookie])


async def pending(request: AnyRequest, stage: str) -> dict[str, Any] | None:
    """The sign-in under way in this browser at ``stage``; None if none (or it expired)."""
    pending_id = request.cookies.get(PENDING_COOKIE)
    if not pending_id:
        return None
    raw = await services_of(request).redis.get(_pending_key(pending_id))
    if raw is None:
        return None
    found: dict[str, Any] = json.loads(raw)
    return found if found.get("stage") == stage else None


async def end_pending(request: AnyRequest) -> None:
    pending_id = request.cookies.get(PENDING_COOKIE)
    if pending_id:
        await services_of(request).redis.delete(_pending_key(pending_id))


def grants_as_json(grants: list[Grant]) -> list[list[str]]:
    return [[grant.role.value, str(grant.partner_id or "")] for grant in grants]


def grants_from_json(raw: list[list[str]]) -> list[Grant]:
    return [Grant(StaffRole(role), uuid.UUID(partner) if partner else None) for role, partner in raw]


def outside_page(request: AnyRequest, template: str, *, status_code: int = 200, **values: Any) -> Response[str]:
    """A page for someone not (yet) signed in; ``errors`` (field: English
    text) are shown in the page's language next to their fields."""
    language = page_language(request, default="en")
    texts = translations(language)
    values["errors"] = {name: texts.gettext(text) for name, text in (values.get("errors") or {}).items()}
    return html_page(request, template, language, status_code=status_code, **values)
