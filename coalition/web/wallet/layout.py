"""What every wallet page shares: the app's navigation (a bar at the bottom
of a phone's screen) and the answer in the member's language."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Response

from coalition.web.pages import AnyRequest, html_page, page_language
from coalition.web.viewers import MemberViewer


def N_(text: str) -> str:  # noqa: N802: gettext's name for "translated where it is shown"
    return text


@dataclass(frozen=True)
class NavItem:
    path: str
    label: str  # English; shown through _()


# Sent when a member signs out or deletes their account: the browser drops the
# card page the service worker kept (and the worker itself), so on a shared
# phone the card does not outlive the session.
CLEAR_SITE_DATA = {"Clear-Site-Data": '"cache", "storage"'}

NAVIGATION = (
    NavItem("/wallet", N_("Card")),
    NavItem("/wallet/points", N_("Points")),
    NavItem("/wallet/rewards", N_("Rewards")),
    NavItem("/wallet/shops", N_("Shops")),
    NavItem("/wallet/give", N_("Give")),
    NavItem("/wallet/notices", N_("Notices")),
    NavItem("/wallet/me", N_("Me")),
)


def wallet_page(
    request: AnyRequest, viewer: MemberViewer, template: str, *, language: str | None = None, status_code: int = 200,
    **values: Any,
) -> Response[str]:  # fmt: skip
    """``template`` (extending ``wallet/layout.html``) for ``viewer``, with the app's navigation."""
    chosen = language or page_language(request, default="en")
    return html_page(
        request, template, chosen, status_code=status_code, viewer=viewer, nav=NAVIGATION, current=request.url.path,
        **values,
    )  # fmt: skip
