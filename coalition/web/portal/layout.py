"""What every portal page shares: the navigation the viewer's role may use,
and the answer in the viewer's language."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Response

from coalition.platform.staff.rules import StaffRole
from coalition.web.pages import AnyRequest, html_page, page_language
from coalition.web.viewers import StaffViewer


def N_(text: str) -> str:  # noqa: N802: gettext's name for "translated where it is shown"
    return text


@dataclass(frozen=True)
class NavItem:
    path: str
    label: str  # English; shown through _()
    roles: frozenset[StaffRole]


_SHOP_MANAGERS = frozenset({StaffRole.OWNER, StaffRole.MANAGER})
_SHOP_STAFF = _SHOP_MANAGERS | {StaffRole.CASHIER}
_OPERATORS = frozenset({StaffRole.OPERATOR_ADMIN, StaffRole.OPERATOR_FINANCE})
_ADMIN = frozenset({StaffRole.OPERATOR_ADMIN})
_STAFF_APPOINTERS = frozenset({StaffRole.OPERATOR_ADMIN, StaffRole.OWNER})

NAVIGATION = (
    NavItem("/portal/shop/dashboard", N_("Dashboard"), _SHOP_MANAGERS),
    NavItem("/portal/shop/till", N_("Till"), _SHOP_STAFF),
    NavItem("/portal/shop/members", N_("Members"), _SHOP_MANAGERS),
    NavItem("/portal/shop/programme", N_("Programme"), _SHOP_MANAGERS),
    NavItem("/portal/shop/statements", N_("Statements"), _SHOP_MANAGERS),
    NavItem("/portal/operator/partners", N_("Partners"), _ADMIN),
    NavItem("/portal/operator/rules", N_("Coalition rules"), _ADMIN),
    NavItem("/portal/operator/settlement", N_("Settlement"), _OPERATORS),
    NavItem("/portal/operator/members", N_("Member support"), _ADMIN),
    NavItem("/portal/operator/insights", N_("Insights"), _OPERATORS),
    NavItem("/portal/operator/audit", N_("Audit log"), _OPERATORS),
    NavItem("/portal/staff", N_("Staff"), _STAFF_APPOINTERS),
    NavItem("/portal/keys", N_("API keys"), frozenset({StaffRole.OWNER})),
    NavItem("/portal/settings", N_("Settings"), _SHOP_MANAGERS),
)


def navigation_for(role: StaffRole) -> list[NavItem]:
    return [item for item in NAVIGATION if role in item.roles]


def home_path(role: StaffRole) -> str:
    """Where a person lands after signing in: the first page their role has."""
    return navigation_for(role)[0].path


def portal_page(
    request: AnyRequest, viewer: StaffViewer, template: str, *, language: str | None = None, status_code: int = 200,
    **values: Any,
) -> Response[str]:  # fmt: skip
    """``template`` (extending ``portal/layout.html``) for ``viewer``, with their navigation."""
    chosen = language or page_language(request, default="en")
    return html_page(
        request, template, chosen, status_code=status_code, viewer=viewer, nav=navigation_for(viewer.role),
        current=request.url.path, **values,
    )  # fmt: skip
