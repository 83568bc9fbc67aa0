"""``/portal/settings``: a shop's owner or manager sets how insights treat
their shop: the kind of shop other shops' reports call it, whether they may
name it, and its margin (for the programme's return on investment)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from litestar import Response, get, post
from litestar.datastructures import State
from litestar.response import Redirect

from coalition.graphql.context import Services
from coalition.platform.staff.rules import StaffRole
from coalition.web.documents import PageData
from coalition.web.i18n import translations
from coalition.web.pages import AnyRequest, page_language
from coalition.web.portal.layout import portal_page
from coalition.web.viewers import StaffViewer, staff_viewer

PATH = "/portal/settings"
EDITORS = (StaffRole.OWNER, StaffRole.MANAGER)


def margin_percent(margin: str | None) -> str:
    """The stored fraction ("0.3") as the percentage people type ("30")."""
    if margin is None:
        return ""
    return format((Decimal(margin) * 100).normalize(), "f")


def parsed_percent(value: str) -> Decimal | None:
    """The typed percentage as a fraction; None for an empty field. ValueError when it is not 0-100 with at
    most two decimals."""
    value = value.strip().rstrip("%").strip().replace(",", ".")
    if not value:
        return None
    try:
        percent = Decimal(value)
    except InvalidOperation:
        raise ValueError(value) from None
    if not percent.is_finite() or not 0 <= percent <= 100 or percent != percent.quantize(Decimal("0.01")):
        raise ValueError(value)
    return percent / 100


async def _shown(
    request: AnyRequest, viewer: StaffViewer, pages: PageData, services: Services, **values: Any
) -> Response[str]:
    data = await pages.fetch(services, viewer.principal, "shop/settings/settings", {"id": str(viewer.partner_id)})
    shop = data["partner"]
    form = {"kind": shop["kind"] or "", "named": shop["namedInInsights"], "margin": margin_percent(shop["margin"])}
    form.update(values.pop("form", {}))
    return portal_page(request, viewer, "shop/settings/page.html", shop=shop, form=form, **values)


@get(PATH, include_in_schema=False)
async def settings_page(request: AnyRequest, state: State, pages: PageData, saved: bool = False) -> Response[str]:
    viewer = await staff_viewer(request, EDITORS)
    return await _shown(request, viewer, pages, state.services, saved=saved, errors={})


@post(PATH, include_in_schema=False, status_code=303)
async def save_settings(request: AnyRequest, state: State, pages: PageData) -> Response[str] | Redirect:
    viewer = await staff_viewer(request, EDITORS)
    _ = translations(page_language(request, default="en")).gettext
    form = await request.form()
    kind, named, typed_margin = str(form.get("kind", "")), form.get("named") == "on", str(form.get("margin", ""))
    typed: dict[str, object] = {"kind": kind, "named": named, "margin": typed_margin}
    errors: dict[str, str] = {}
    margin = None
    try:
        margin = parsed_percent(typed_margin)
    except ValueError:
        errors["margin"] = _("Enter a percentage from 0 to 100, with at most two decimals.")
    if not errors:
        variables = {"partnerId": str(viewer.partner_id),
                     "input": {"kind": kind, "namedInInsights": named,
                               "margin": None if margin is None else str(margin)}}  # fmt: skip
        data = await pages.fetch(state.services, viewer.principal, "shop/settings/save", variables)
        for error in data["setPartnerInsightSettings"]["errors"]:
            field = (error.get("field") or ["kind"])[-1]
            errors["margin" if field == "margin" else "kind"] = (
                _("Enter a percentage from 0 to 100, with at most two decimals.")
                if field == "margin"
                else _("Describe the kind of shop in at most 40 characters.")
            )
    if errors:
        return await _shown(request, viewer, pages, state.services, saved=False, errors=errors, form=typed,
                            status_code=400)  # fmt: skip
    return Redirect(f"{PATH}?saved=true", status_code=303)
