"""``/portal/staff``: the operator's admin appoints operator staff and shop
owners; a shop's owner appoints and removes its managers and cashiers. A
removed person is signed out everywhere at once (the API's removeStaff)."""

from __future__ import annotations

from typing import Any

from litestar import Response, get, post
from litestar.response import Redirect

from coalition.platform.staff.rules import StaffRole
from coalition.web.documents import PageData
from coalition.web.i18n import translations
from coalition.web.pages import AnyRequest, page_language
from coalition.web.portal import access
from coalition.web.portal.layout import N_, portal_page
from coalition.web.viewers import StaffViewer, staff_viewer

APPOINTERS = (StaffRole.OPERATOR_ADMIN, StaffRole.OWNER)
# What each appointer may appoint (the staff rules say the same).
APPOINTS = {
    StaffRole.OPERATOR_ADMIN: ("OWNER", "OPERATOR_ADMIN", "OPERATOR_FINANCE"),
    StaffRole.OWNER: ("CASHIER", "MANAGER"),
}
MESSAGES = {
    "email": N_("Give an e-mail address, like name@example.com."),
    "name": N_("Fill this in."),
    "language": N_("Choose one of the languages in the list."),
    "role": N_("You may not appoint this role here."),
    "partnerId": N_("Choose the shop."),
    "form": N_("This could not be done."),
}
NOT_STAFF = N_("No one on your staff has this address.")


async def _page(
    request: AnyRequest, pages: PageData, viewer: StaffViewer, *, status_code: int = 200,
    errors: dict[str, str] | None = None, entered: dict[str, str] | None = None,
) -> Response[str]:  # fmt: skip
    data = await pages.fetch(access.services_of(request), viewer.principal, "portal/staff")
    shops = {edge["node"]["id"]: edge["node"]["name"] for edge in data["coalition"]["partners"]["edges"]}
    texts = translations(page_language(request, default="en"))
    return portal_page(
        request, viewer, "portal/staff.html", status_code=status_code, people=data["staffPeople"], shops=shops,
        roles=APPOINTS[viewer.role], errors={name: texts.gettext(text) for name, text in (errors or {}).items()},
        entered=entered or {}, invited=request.query_params.get("invited"),
        removed=request.query_params.get("removed"), me=viewer.session.person_id,
    )  # fmt: skip


@get("/portal/staff", include_in_schema=False)
async def staff_page(request: AnyRequest, pages: PageData) -> Response[str]:
    return await _page(request, pages, await staff_viewer(request, APPOINTERS))


def _refusal(errors: list[dict[str, Any]]) -> dict[str, str]:
    """The API's refusals as texts next to the page's fields."""
    shown: dict[str, str] = {}
    for error in errors:
        field = (error.get("field") or ["form"])[0]
        if error["code"] == "NOT_FOUND" and field == "email":
            shown["email"] = NOT_STAFF
        elif error["code"] == "FORBIDDEN":
            shown["role"] = MESSAGES["role"]
        else:
            shown[field if field in MESSAGES else "form"] = MESSAGES.get(field, MESSAGES["form"])
    return shown


@post("/portal/staff/invite", include_in_schema=False)
async def invite(request: AnyRequest, pages: PageData) -> Response[Any]:
    viewer = await staff_viewer(request, APPOINTERS)
    form = await request.form()
    entered = {name: str(form.get(name, "")).strip() for name in ("email", "name", "language", "role", "partnerId")}
    if entered["role"] not in APPOINTS[viewer.role]:
        return await _page(request, pages, viewer, status_code=400, errors={"role": MESSAGES["role"]}, entered=entered)
    wanted: dict[str, Any] = {key: entered[key] for key in ("email", "name", "role")}
    wanted["language"] = entered["language"] or "en"
    if viewer.role is StaffRole.OPERATOR_ADMIN and entered["role"] == "OWNER":
        wanted["partnerId"] = entered["partnerId"] or None
        if not entered["partnerId"]:
            return await _page(request, pages, viewer, status_code=400, errors={"partnerId": MESSAGES["partnerId"]},
                               entered=entered)  # fmt: skip
    data = await pages.fetch(access.services_of(request), viewer.principal, "portal/staff_invite", {"input": wanted})
    errors = data["inviteStaff"]["errors"]
    if errors:
        return await _page(request, pages, viewer, status_code=400, errors=_refusal(errors), entered=entered)
    return Redirect("/portal/staff", query_params={"invited": entered["email"]}, status_code=303)


@post("/portal/staff/remove", include_in_schema=False)
async def remove(request: AnyRequest, pages: PageData) -> Response[Any]:
    viewer = await staff_viewer(request, APPOINTERS)
    email = str((await request.form()).get("email", "")).strip()
    data = await pages.fetch(access.services_of(request), viewer.principal, "portal/staff_remove", {"email": email})
    errors = data["removeStaff"]["errors"]
    if errors:
        refusal = {"remove": NOT_STAFF if errors[0]["code"] == "NOT_FOUND" else MESSAGES["role"]}
        return await _page(request, pages, viewer, status_code=400 if errors[0]["code"] != "FORBIDDEN" else 403,
                           errors=refusal)  # fmt: skip
    return Redirect("/portal/staff", query_params={"removed": email}, status_code=303)
