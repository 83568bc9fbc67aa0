"""What the wallet's ways in share: which coalition a visitor is joining or
signing in to, where they go afterwards, the session cookie, and the words
of the one-time code mails in the reader's language."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from litestar import Response
from litestar.datastructures import Cookie
from litestar.response import Redirect

from coalition.graphql.context import Services
from coalition.platform.coalitions.repository import CoalitionRecord, coalition_by_slug, sole_coalition
from coalition.platform.members import sessions
from coalition.platform.members.codes import Codes, Compose, Letter, Mailing, Purpose
from coalition.platform.members.passkeys import RelyingParty
from coalition.platform.runtime.settings import Settings
from coalition.web.i18n import translations
from coalition.web.pages import AnyRequest, html_page, page_language

# The coalition a browser last visited the wallet of, so a bookmark of
# /wallet finds the right sign-in page again.
COALITION_COOKIE = "coalition_wallet"
YEAR = 365 * 24 * 3600
HOME = "/wallet"


def services(request: AnyRequest) -> Services:
    found: Services = request.app.state.services
    return found


def settings(request: AnyRequest) -> Settings:
    found: Settings = request.app.state.settings
    return found


def codes(request: AnyRequest) -> Codes:
    return Codes(services(request).redis)


def mailing(request: AnyRequest) -> Mailing:
    config = settings(request)
    return Mailing(public_url=config.public_url, mail_from=config.mail_from)


def relying_party(request: AnyRequest, name: str) -> RelyingParty:
    return RelyingParty.of(settings(request).public_url, name)


def client_address(request: AnyRequest) -> str | None:
    """The address the per-client limits count; none for the exempt ones (a proxy that hides its clients)."""
    host = request.client.host if request.client else None
    return None if host is None or host in settings(request).rate_limit_exempt else host


def now() -> datetime:
    return datetime.now(UTC)


async def visiting_coalition(request: AnyRequest, asked: str | None = None) -> CoalitionRecord | None:
    """The coalition named in the address (``?coalition=slug``) or a form, else
    the one this browser visited last, else the only one there is."""
    async with services(request).reads.connect() as connection:
        for slug in (asked, request.query_params.get("coalition"), request.cookies.get(COALITION_COOKIE)):
            if slug:
                found = await coalition_by_slug(connection, slug[:64])
                if found is not None:
                    return found
        return await sole_coalition(connection)


def remembered(coalition: CoalitionRecord) -> Cookie:
    return Cookie(key=COALITION_COOKIE, value=coalition.slug, max_age=YEAR, path=HOME, httponly=True, samesite="lax")


def safe_next(asked: str | None) -> str:
    """Where to go after signing in: a wallet page of this site, never another host."""
    if not asked or not asked.startswith(HOME) or asked.startswith("//") or "\\" in asked:
        return HOME
    rest = asked[len(HOME) :]
    return asked if rest == "" or rest[0] in "/?#" else HOME


def session_cookie(request: AnyRequest, session_id: str) -> Cookie:
    secure = settings(request).public_url.startswith("https://")
    return Cookie(
        key=sessions.COOKIE_NAME, value=session_id, path=sessions.COOKIE_PATH, httponly=True, samesite="lax",
        secure=secure, max_age=int(sessions.ABSOLUTE_TIMEOUT.total_seconds()),
    )  # fmt: skip


async def signed_in(request: AnyRequest, coalition_id: Any, member_id: Any, next_path: str) -> Redirect:
    """Open a session (ending this browser's earlier one) and go on to ``next_path``."""
    session_id = await sessions.open_session(
        services(request).redis, member_id=member_id, coalition_id=coalition_id, now=now(),
        replacing=request.cookies.get(sessions.COOKIE_NAME),
    )  # fmt: skip
    return Redirect(safe_next(next_path), status_code=303, cookies=[session_cookie(request, session_id)])


def outside_page(
    request: AnyRequest, template: str, coalition: CoalitionRecord | None, *, status_code: int = 200, **values: Any
) -> Response[str]:
    """A page for someone not (yet) signed in, in their language."""
    language = page_language(request, default="en")
    response = html_page(request, template, language, status_code=status_code, coalition=coalition, **values)
    if coalition is not None:
        response.set_cookie(remembered(coalition))
    return response


def composer(language: str, purpose: Purpose, coalition_name: str, next_path: str = HOME) -> Compose:
    """The code mail in ``language``: the code, the link (back to ``next_path``), and why it came."""
    _ = translations(language).gettext

    def compose(code: str, address: str) -> Letter:
        link = address if next_path == HOME else f"{address}?{urlencode({'next': next_path})}"
        values = {"coalition": coalition_name, "code": code, "link": link, "minutes": 10}
        if purpose is Purpose.CLAIM:
            why = _("Someone asked to link this e-mail address to a card of %(coalition)s.") % values
        elif purpose is Purpose.FRESH:
            why = _("You asked to confirm it is you in the wallet of %(coalition)s.") % values
        else:
            why = _("You asked to sign in to the wallet of %(coalition)s.") % values
        body = "\n\n".join(
            [
                why,
                _("Your code is %(code)s. It works once, within %(minutes)s minutes.") % values,
                _("Or open this link on the device you are using:") + "\n" + link,
                _("If you did not ask for this, ignore this mail: nothing happens without the code."),
            ]
        )
        return Letter(subject=_("Your code for %(coalition)s: %(code)s") % values, body=body + "\n")

    return compose
