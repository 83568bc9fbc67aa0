"""What every page handler needs from its request: the page's language, the
form token, and an HTML response in that language."""

from __future__ import annotations

from typing import Any

from litestar import MediaType, Request, Response
from litestar.utils.scope.state import ScopeState

from coalition.web.i18n import LANGUAGE_COOKIE, choose
from coalition.web.rendering import render

AnyRequest = Request[Any, Any, Any]


def page_language(request: AnyRequest, *, default: str, asked: str | None = None, person: str | None = None) -> str:
    """The language to answer ``request`` in (see ``i18n.choose`` for the order)."""
    return choose(
        asked=asked,
        person=person,
        remembered=request.cookies.get(LANGUAGE_COOKIE),
        browser=request.headers.get("accept-language"),
        default=default,
    )


def csrf_token(request: AnyRequest) -> str:
    """The token this request's forms must send back (set by the CSRF middleware)."""
    token = ScopeState.from_scope(request.scope).csrf_token
    return token if isinstance(token, str) else ""


def html_page(
    request: AnyRequest, template: str, language: str, *, status_code: int = 200, **values: Any
) -> Response[str]:
    """``template`` in ``language`` as the answer to ``request``."""
    values.setdefault("back", request.url.path)
    body = render(template, language, csrf_token=csrf_token(request), **values)
    return Response(body, status_code=status_code, media_type=MediaType.HTML, headers={"Content-Language": language})
