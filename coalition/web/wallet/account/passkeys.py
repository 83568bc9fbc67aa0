"""Passkeys in the wallet: the list (remove one with a form), adding one and
signing in with one (JSON for ``/static/wallet/passkeys.js``, which talks to
``navigator.credentials``; the pages work without it, passkeys do not)."""

from __future__ import annotations

import json
import uuid
from typing import Any

from litestar import MediaType, Response, get, post
from litestar.response import Redirect

from coalition.platform.errors import DomainError
from coalition.platform.members import passkeys, sessions
from coalition.platform.members.reads import members_by_id
from coalition.platform.runtime.unit_of_work import unit_of_work
from coalition.web.documents import PageData
from coalition.web.i18n import translations
from coalition.web.pages import AnyRequest, page_language
from coalition.web.viewers import MemberViewer, member_viewer
from coalition.web.wallet.account.common import (
    now,
    relying_party,
    safe_next,
    services,
    session_cookie,
    visiting_coalition,
)
from coalition.web.wallet.layout import wallet_page

PAGE = "/wallet/passkeys"
SITE_NAME = "Coalition wallet"


def N_(text: str) -> str:  # noqa: N802: gettext's name for "translated where it is shown"
    return text


NOT_ADDED = N_("The passkey could not be added. Try again.")
NOT_FRESH = N_("Confirm it is you with a new code first.")
NOT_SIGNED_IN = N_("No member has this passkey here. Sign in with a code instead.")


def _json(body: dict[str, Any], status_code: int = 200, **kwargs: Any) -> Response[bytes]:
    return Response(json.dumps(body).encode(), status_code=status_code, media_type=MediaType.JSON, **kwargs)


def _said(request: AnyRequest, message: str) -> str:
    return translations(page_language(request, default="en")).gettext(message)


async def _body(request: AnyRequest) -> dict[str, Any]:
    try:
        found = await request.json()
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


@get(PAGE, include_in_schema=False)
async def passkeys_page(request: AnyRequest, pages: PageData) -> Response[str]:
    viewer = await member_viewer(request)
    data = await pages.fetch(services(request), viewer.principal, "wallet/account/passkeys")
    return wallet_page(
        request, viewer, "wallet/account/passkeys.html", me=data["me"], fresh=viewer.session.is_fresh(now())
    )


def _actor(viewer: MemberViewer) -> passkeys.MemberActor:
    return passkeys.MemberActor(viewer.coalition_id, viewer.member_id)


def _may_add(viewer: MemberViewer) -> bool:
    return viewer.session.is_fresh(now())


@post(PAGE + "/options", include_in_schema=False, status_code=200)
async def add_options(request: AnyRequest) -> Response[bytes]:
    viewer = await member_viewer(request)
    if not _may_add(viewer):
        return _json({"error": _said(request, NOT_FRESH)}, 403)
    async with services(request).reads.connect() as connection:
        member = (await members_by_id(connection, [viewer.member_id]))[viewer.member_id]
        existing = await passkeys.passkeys_of(connection, viewer.member_id)
    options = await passkeys.registration_options(
        services(request).redis, relying_party(request, SITE_NAME), ceremony=viewer.session_id, member=member,
        existing=existing,
    )  # fmt: skip
    return Response(options.encode(), media_type=MediaType.JSON)


@post(PAGE, include_in_schema=False, status_code=201)
async def add_passkey(request: AnyRequest) -> Response[bytes]:
    viewer = await member_viewer(request)
    if not _may_add(viewer):
        return _json({"error": _said(request, NOT_FRESH)}, 403)
    body = await _body(request)
    try:
        async with unit_of_work(services(request).sessions) as session:
            await passkeys.register(
                session, services(request).redis, relying_party(request, SITE_NAME), ceremony=viewer.session_id,
                by=_actor(viewer), credential=json.dumps(body.get("credential")),
                name=str(body.get("name") or ""), now=now(),
            )  # fmt: skip
    except DomainError:
        return _json({"error": _said(request, NOT_ADDED)}, 400)
    return _json({"redirect": PAGE}, 201)


@post(PAGE + "/{passkey_id:str}/remove", include_in_schema=False, status_code=303)
async def remove_passkey(request: AnyRequest, passkey_id: str) -> Redirect:
    viewer = await member_viewer(request)
    try:
        chosen = uuid.UUID(passkey_id)
        async with unit_of_work(services(request).sessions) as session:
            await passkeys.remove(session, _actor(viewer), chosen)
    except (ValueError, DomainError):
        pass  # not this member's (or gone already): the list shows what there is
    return Redirect(PAGE, status_code=303)


@post("/wallet/sign-in/passkey/options", include_in_schema=False, status_code=200)
async def sign_in_options(request: AnyRequest) -> Response[bytes]:
    ceremony, options = await passkeys.authentication_options(
        services(request).redis, relying_party(request, SITE_NAME)
    )
    return _json({"ceremony": ceremony, "options": json.loads(options)})


@post("/wallet/sign-in/passkey", include_in_schema=False, status_code=200)
async def sign_in_with_passkey(request: AnyRequest) -> Response[bytes]:
    body = await _body(request)
    coalition = await visiting_coalition(request, str(body.get("coalition") or "") or None)
    member = None
    if coalition is not None:
        async with unit_of_work(services(request).sessions) as session:
            member = await passkeys.authenticate(
                session, services(request).redis, relying_party(request, SITE_NAME), coalition_id=coalition.id,
                ceremony=str(body.get("ceremony") or ""), credential=json.dumps(body.get("credential")), now=now(),
            )  # fmt: skip
    if member is None:
        return _json({"error": _said(request, NOT_SIGNED_IN)}, 403)
    session_id = await sessions.open_session(
        services(request).redis, member_id=member.id, coalition_id=member.coalition_id, now=now(),
        replacing=request.cookies.get(sessions.COOKIE_NAME),
    )  # fmt: skip
    next_path = safe_next(str(body.get("next") or ""))
    return _json({"redirect": next_path}, cookies=[session_cookie(request, session_id)])
