"""``/portal/shop/members``: an owner or manager finds a member by card,
e-mail or phone, reads the member's history at this shop (the API shows a
shop its own postings only) and takes a purchase back when goods are
returned, with the API's reversal (all that is left of it, or some points)."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Response, get, post
from litestar.response import Redirect

from coalition.platform.errors import DomainError
from coalition.platform.members import rules as member_rules
from coalition.web.documents import PageData
from coalition.web.pages import AnyRequest
from coalition.web.portal.layout import portal_page
from coalition.web.shop import forms
from coalition.web.shop.context import MANAGERS, services
from coalition.web.shop.forms import Refusal
from coalition.web.viewers import StaffViewer, staff_viewer

MEMBERS = "/portal/shop/members"
_RETURN_FIELDS = frozenset({"transactionId", "points"})


def search_terms(query: str, refusal: Refusal) -> dict[str, str | None] | None:
    """What the search box holds: an e-mail address (has an @), a phone
    number (starts with +) or else a card number."""
    terms: dict[str, str | None] = {"card": None, "email": None, "phone": None}
    try:
        if "@" in query:
            terms["email"] = member_rules.check_email(query)
        elif query.startswith("+"):
            terms["phone"] = member_rules.check_phone(query)
        else:
            terms["card"] = forms.card_number(query, refusal, "q")
    except DomainError:
        refusal.on("q", forms.N_("Type a card number, an e-mail address or a phone number starting with +."))
    return None if refusal else terms


@get(MEMBERS, include_in_schema=False)
async def members_page(request: AnyRequest, pages: PageData, q: str = "") -> Response[str] | Redirect:
    viewer = await staff_viewer(request, MANAGERS)
    query, refusal = q.strip()[:254], Refusal()
    if not query:
        return portal_page(request, viewer, "shop/members.html", query="", refusal=None)
    terms = search_terms(query, refusal)
    if terms is None:
        return portal_page(request, viewer, "shop/members.html", query=query, refusal=refusal, status_code=400)
    data = await pages.fetch(services(request), viewer.principal, "shop/members_find", terms)
    if data["member"] is None:
        refusal.on("q", forms.N_("No member of your shop was found."))
        return portal_page(request, viewer, "shop/members.html", query=query, refusal=refusal, status_code=404)
    return Redirect(f"{MEMBERS}/{data['member']['id']}", status_code=303)


async def _member(
    request: AnyRequest, pages: PageData, viewer: StaffViewer, member_id: str, *, status_code: int = 200,
    **values: Any,
) -> Response[str]:  # fmt: skip
    try:
        uuid.UUID(member_id)
    except ValueError:
        return portal_page(request, viewer, "shop/not_found.html", status_code=404)
    data = await pages.fetch(services(request), viewer.principal, "shop/member", {"id": member_id})
    if data["member"] is None:
        return portal_page(request, viewer, "shop/not_found.html", status_code=404)
    history = [edge["node"] for edge in data["member"]["wallet"]["transactions"]["edges"]]
    returned = {t["reverses"]["id"] for t in history if t["reverses"]}
    values.setdefault("refusal", None)
    values.setdefault("refused_id", None)
    values.setdefault("result", None)
    return portal_page(
        request, viewer, "shop/member.html", status_code=status_code, data=data, history=history,
        back=f"{MEMBERS}/{member_id}", returned=returned, keys={t["id"]: forms.new_key() for t in history}, **values,
    )  # fmt: skip


@get(f"{MEMBERS}/{{member_id:str}}", include_in_schema=False)
async def member_page(request: AnyRequest, pages: PageData, member_id: str) -> Response[str]:
    viewer = await staff_viewer(request, MANAGERS)
    return await _member(request, pages, viewer, member_id)


@post(f"{MEMBERS}/{{member_id:str}}/return", include_in_schema=False)
async def member_return(request: AnyRequest, pages: PageData, member_id: str) -> Response[str]:
    viewer = await staff_viewer(request, MANAGERS)
    form = await request.form()
    refusal = Refusal()
    transaction_id = forms.text_of(form, "transactionId", 64)
    typed = forms.text_of(form, "points")
    taken = forms.points(typed, refusal) if typed else None
    if refusal:
        return await _member(
            request, pages, viewer, member_id, refusal=refusal, refused_id=transaction_id, status_code=400
        )
    reverse = {"idempotencyKey": forms.text_of(form, "idempotencyKey", 128), "transactionId": transaction_id,
               "points": taken, "reason": "return at the shop"}  # fmt: skip
    data = await pages.fetch(services(request), viewer.principal, "shop/member_return", {"input": reverse})
    payload = data["reverseTransaction"]
    if payload["errors"]:
        refusal = forms.refused(payload["errors"], _RETURN_FIELDS)
        if any(error["code"] == "INSUFFICIENT_POINTS" for error in payload["errors"]):
            refusal.fields["points"] = forms.N_("The member no longer holds these points: they have been spent.")
        if refusal.form is not None:
            refusal.on("points", refusal.form)
            refusal.form = None
        return await _member(
            request, pages, viewer, member_id, refusal=refusal, refused_id=transaction_id, status_code=400
        )
    return await _member(request, pages, viewer, member_id, result=payload["transaction"])


ROUTES = [members_page, member_page, member_return]
