"""Signing in to the wallet with an e-mailed code or its link; proving it
again (``?fresh=1``) before moving points away; signing out.

The answer to "send me a code" is the same whether or not the address is a
member's. The link in the mail opens a page whose button signs in (a POST):
mail scanners open links, and must not spend the code."""

from __future__ import annotations

from typing import Any

from litestar import Response, get, post
from litestar.datastructures import Cookie
from litestar.response import Redirect

from coalition.platform.coalitions.repository import CoalitionRecord, coalition_by_id
from coalition.platform.errors import DomainError
from coalition.platform.members import access, sessions
from coalition.platform.members.codes import Proven, Purpose, Refusal, TooMany
from coalition.platform.members.reads import members_by_id
from coalition.platform.runtime.unit_of_work import unit_of_work
from coalition.web.documents import PageData, visitor
from coalition.web.i18n import translations
from coalition.web.pages import AnyRequest, page_language
from coalition.web.viewers import MemberViewer, member_viewer, optional_member
from coalition.web.wallet.account.common import (
    HOME,
    client_address,
    codes,
    composer,
    mailing,
    now,
    outside_page,
    safe_next,
    services,
    signed_in,
    visiting_coalition,
)
from coalition.web.wallet.layout import CLEAR_SITE_DATA


def N_(text: str) -> str:  # noqa: N802: gettext's name for "translated where it is shown"
    return text


REFUSALS = {
    Refusal.WRONG: N_("That is not the code we sent. Check it and try again."),
    Refusal.SPENT: N_("This code has expired or was already used. Ask for a new one."),
    Refusal.EXHAUSTED: N_("Too many wrong codes. Ask for a new one."),
}
TOO_MANY = N_("Too many codes asked for. Wait %(minutes)s minutes and try again.")
NOT_LET_IN = N_("This sign-in is not possible any more. Ask for a new code.")
NO_COALITION = "wallet/account/no_coalition.html"


def _text(request: AnyRequest, message: str, **values: Any) -> str:
    translated = translations(page_language(request, default="en")).gettext(message)
    return translated % values if values else translated


def too_many_message(request: AnyRequest, outcome: TooMany) -> str:
    return _text(request, TOO_MANY, minutes=max(1, -(-outcome.retry_after_seconds // 60)))


async def _form(request: AnyRequest) -> dict[str, str]:
    form = await request.form()
    return {key: str(value) for key, value in form.items()}


async def sign_in_form(
    request: AnyRequest, pages: PageData, coalition: CoalitionRecord, *, next_path: str, email: str = "",
    error: str | None = None, notice: str | None = None, status_code: int = 200,
) -> Response[str]:  # fmt: skip
    data = await pages.fetch(services(request), visitor(coalition.id), "wallet/account/sign_in")
    return outside_page(
        request, "wallet/account/sign_in.html", coalition, status_code=status_code, page=data, next=next_path,
        email=email, error=error, notice=notice,
    )  # fmt: skip


def code_form(
    request: AnyRequest, coalition: CoalitionRecord | None, *, purpose: Purpose, email: str, next_path: str,
    error: str | None = None, status_code: int = 200,
) -> Response[str]:  # fmt: skip
    return outside_page(
        request, "wallet/account/code.html", coalition, status_code=status_code, purpose=purpose.value,
        email=email, next=next_path, error=error,
    )  # fmt: skip


@get("/wallet/sign-in", include_in_schema=False)
async def sign_in_page(
    request: AnyRequest, pages: PageData, next: str | None = None, fresh: str | None = None
) -> Response[str] | Redirect:
    next_path = safe_next(next)
    viewer = await optional_member(request)
    if viewer is not None:
        if fresh:
            return outside_page(request, "wallet/account/fresh.html", None, next=next_path)
        return Redirect(next_path, status_code=303)
    coalition = await visiting_coalition(request)
    if coalition is None:
        return outside_page(request, NO_COALITION, None, status_code=404)
    return await sign_in_form(request, pages, coalition, next_path=next_path)


@post("/wallet/sign-in", include_in_schema=False, status_code=200)
async def ask_for_code(request: AnyRequest, pages: PageData) -> Response[str]:
    form = await _form(request)
    next_path, email = safe_next(form.get("next")), form.get("email", "").strip()
    coalition = await visiting_coalition(request, form.get("coalition"))
    if coalition is None:
        return outside_page(request, NO_COALITION, None, status_code=404)
    language = page_language(request, default="en")
    try:
        async with unit_of_work(services(request).sessions) as session:
            outcome = await codes(request).ask(
                session, coalition_id=coalition.id, email=email, purpose=Purpose.SIGN_IN,
                client=client_address(request), compose=composer(language, Purpose.SIGN_IN, coalition.name, next_path),
                mailing=mailing(request),
            )  # fmt: skip
    except DomainError:
        error = _text(request, "Enter an e-mail address, like name@example.com.")
        return await sign_in_form(request, pages, coalition, next_path=next_path, email=email, error=error,
                                  status_code=400)  # fmt: skip
    if isinstance(outcome, TooMany):
        return await sign_in_form(request, pages, coalition, next_path=next_path, email=email,
                                  notice=too_many_message(request, outcome), status_code=429)  # fmt: skip
    return code_form(request, coalition, purpose=Purpose.SIGN_IN, email=email, next_path=next_path)


async def _member_email(request: AnyRequest, viewer: MemberViewer) -> str | None:
    async with services(request).reads.connect() as connection:
        found = (await members_by_id(connection, [viewer.member_id])).get(viewer.member_id)
    return None if found is None else found.email


@post("/wallet/sign-in/fresh", include_in_schema=False, status_code=200)
async def ask_for_fresh_code(request: AnyRequest) -> Response[str]:
    """A signed-in member asks for a code to prove it is them again."""
    viewer = await member_viewer(request)
    form = await _form(request)
    next_path, email = safe_next(form.get("next")), await _member_email(request, viewer)
    if email is None:
        return outside_page(request, "wallet/account/fresh.html", None, next=next_path, status_code=409,
                            error=_text(request, NOT_LET_IN))  # fmt: skip
    language = page_language(request, default="en")
    async with services(request).reads.connect() as connection:
        found = await coalition_by_id(connection, viewer.coalition_id)
    name = found.name if found else ""
    async with unit_of_work(services(request).sessions) as session:
        outcome = await codes(request).ask(
            session, coalition_id=viewer.coalition_id, email=email, purpose=Purpose.FRESH,
            client=client_address(request), compose=composer(language, Purpose.FRESH, name, next_path),
            mailing=mailing(request),
        )  # fmt: skip
    if isinstance(outcome, TooMany):
        return outside_page(request, "wallet/account/fresh.html", None, next=next_path, status_code=429,
                            error=too_many_message(request, outcome))  # fmt: skip
    return code_form(request, None, purpose=Purpose.FRESH, email="", next_path=next_path)


async def _let_in(request: AnyRequest, proven: Proven, next_path: str) -> Response[str] | Redirect | None:
    """Sign in (or make the session fresh) with a spent code; None when the member may not come in."""
    viewer = await optional_member(request)
    if proven.purpose is Purpose.FRESH and (viewer is None or viewer.member_id != proven.member_id):
        viewer = None
    async with unit_of_work(services(request).sessions) as session:
        allowed = await access.let_in(session, proven)
    if not allowed:
        return None
    if viewer is not None and viewer.member_id == proven.member_id:
        await sessions.mark_proven(services(request).redis, viewer.session_id, now())
        return Redirect(next_path, status_code=303)
    return await signed_in(request, proven.coalition_id, proven.member_id, next_path)


@post("/wallet/sign-in/code", include_in_schema=False, status_code=200)
async def enter_code(request: AnyRequest) -> Response[str] | Redirect:
    form = await _form(request)
    next_path, typed = safe_next(form.get("next")), form.get("code", "")
    try:
        purpose = Purpose(form.get("purpose", Purpose.SIGN_IN.value))
    except ValueError:
        purpose = Purpose.SIGN_IN
    coalition: CoalitionRecord | None = None
    if purpose is Purpose.FRESH:
        viewer = await member_viewer(request)
        coalition_id, email = viewer.coalition_id, (await _member_email(request, viewer)) or ""
    else:
        coalition = await visiting_coalition(request, form.get("coalition"))
        if coalition is None:
            return outside_page(request, NO_COALITION, None, status_code=404)
        coalition_id, email = coalition.id, form.get("email", "").strip()
    outcome = await codes(request).check(coalition_id=coalition_id, email=email, purpose=purpose, typed=typed)
    if isinstance(outcome, Refusal):
        shown_email = "" if purpose is Purpose.FRESH else email
        return code_form(request, coalition, purpose=purpose, email=shown_email, next_path=next_path,
                         error=_text(request, REFUSALS[outcome]), status_code=400)  # fmt: skip
    entered = await _let_in(request, outcome, next_path)
    if entered is None:
        return code_form(request, coalition, purpose=purpose, email=email, next_path=next_path,
                         error=_text(request, NOT_LET_IN), status_code=403)  # fmt: skip
    return entered


@get("/wallet/sign-in/link/{token:str}", include_in_schema=False)
async def link_page(request: AnyRequest, token: str, next: str | None = None) -> Response[str]:
    live = await codes(request).link_is_live(token[:128])
    return outside_page(
        request, "wallet/account/link.html", None, status_code=200 if live else 410, token=token[:128],
        next=safe_next(next), live=live, error=None,
    )  # fmt: skip


@post("/wallet/sign-in/link/{token:str}", include_in_schema=False, status_code=200)
async def follow_link(request: AnyRequest, token: str) -> Response[str] | Redirect:
    form = await _form(request)
    next_path = safe_next(form.get("next"))
    outcome = await codes(request).follow_link(token[:128])
    entered = None if isinstance(outcome, Refusal) else await _let_in(request, outcome, next_path)
    if entered is None:
        message = REFUSALS[outcome] if isinstance(outcome, Refusal) else NOT_LET_IN
        return outside_page(
            request, "wallet/account/link.html", None, status_code=410, token=token[:128], next=next_path,
            live=False, error=_text(request, message),
        )  # fmt: skip
    return entered


@post("/wallet/sign-out", include_in_schema=False, status_code=303)
async def sign_out(request: AnyRequest) -> Redirect:
    session_id = request.cookies.get(sessions.COOKIE_NAME)
    if session_id:
        await sessions.close(services(request).redis, session_id)
    gone = Cookie(key=sessions.COOKIE_NAME, value="", path=sessions.COOKIE_PATH, max_age=0, httponly=True)
    return Redirect(HOME + "/sign-in", status_code=303, cookies=[gone], headers=CLEAR_SITE_DATA)
