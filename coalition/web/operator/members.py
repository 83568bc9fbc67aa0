"""``/portal/operator/members``: member support. Find a member by card,
e-mail address or phone; see their wallet; block or unblock them; add or
take away points with a reason (audited)."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Response, get, post
from litestar.response import Redirect

from coalition.platform.errors import DomainError
from coalition.platform.members import rules as member_rules
from coalition.web.documents import PageData
from coalition.web.operator.common import (
    N_,
    FormErrors,
    FormValues,
    back_to,
    fetch,
    form_of,
    integer_in,
    operator,
    refusals,
)
from coalition.web.pages import AnyRequest
from coalition.web.portal.layout import portal_page
from coalition.web.viewers import StaffViewer

PATH = "/portal/operator/members"
WAYS = (("card", N_("Card number")), ("email", N_("E-mail address")), ("phone", N_("Phone number")))
_VARIABLE = {"card": "card", "email": "email", "phone": "phone"}
STATUSES = {"ACTIVE": N_("Active"), "BLOCKED": N_("Blocked: tills refuse the card"), "ERASED": N_("Erased")}
KINDS = {
    "EARN": N_("Earned"),
    "REDEEM": N_("Spent"),
    "REVERSAL": N_("Reversed"),
    "EXPIRE": N_("Expired"),
    "ADJUST": N_("Adjusted by the coalition"),
    "BONUS": N_("Bonus"),
    "TRANSFER": N_("Transfer"),
    "DONATE": N_("Donated"),
}
DONE = {
    "blocked": N_("The member is blocked."),
    "unblocked": N_("The member is unblocked."),
    "adjusted": N_("The points were adjusted."),
}
_QUERY = N_("Enter a card number, an e-mail address or a phone number in international form (+31…).")
_REASON = N_("Give a reason (at most 200 characters).")
_POINTS = N_("Enter the points to add (e.g. 50) or take away (e.g. -50), not 0.")
_FIELDS = {"reason": _REASON, "points": _POINTS}


def _well_formed(way: str, text: str) -> bool:
    """An address or number the API can look up (it refuses malformed ones)."""
    try:
        if way == "email":
            member_rules.check_email(text)
        elif way == "phone":
            member_rules.check_phone(text)
    except DomainError:
        return False
    return True


async def _page(
    request: AnyRequest, pages: PageData, viewer: StaffViewer, *, status_code: int = 200,
    errors: FormErrors | None = None, form: FormValues | None = None, failed: str | None = None,
    member_id: str | None = None,
) -> Response[str]:  # fmt: skip
    query = FormValues({k: v.strip() for k, v in request.query_params.items()})
    errors = errors if errors is not None else FormErrors()
    way = query["by"] if query["by"] in _VARIABLE else "card"
    variables: dict[str, Any] = {"id": None, "card": None, "email": None, "phone": None, "look": False}
    if member_id or query["id"]:
        variables.update(id=member_id or query["id"], look=True)
    elif "q" in query:
        if not query["q"] or len(query["q"]) > 254 or not _well_formed(way, query["q"]):
            errors.add("q", _QUERY)
        else:
            variables.update({_VARIABLE[way]: query["q"], "look": True})
    data = await fetch(request, pages, viewer, "members", variables)
    member = data.get("member")
    searched = variables["look"]
    return portal_page(
        request, viewer, "operator/members.html", status_code=status_code if member or not searched else 404,
        coalition=data["coalition"], member=member, searched=searched, ways=WAYS, way=way, q=query["q"],
        statuses=STATUSES, kinds=KINDS, notice=DONE.get(query["done"]), errors=errors, form=form or FormValues(),
        failed=failed, new_key=uuid.uuid4().hex,
    )  # fmt: skip


@get(PATH, include_in_schema=False)
async def members_page(request: AnyRequest, pages: PageData) -> Response[str]:
    return await _page(request, pages, await operator(request))


async def _change(
    request: AnyRequest, pages: PageData, member_id: str, action: str, document: str, variables: dict[str, Any],
    errors: FormErrors, form: FormValues, done: str,
) -> Response[str] | Redirect:  # fmt: skip
    viewer = await operator(request)
    if not errors:
        answer = next(iter((await fetch(request, pages, viewer, document, variables)).values()))
        if not answer["errors"]:
            return back_to(PATH, id=member_id, done=done)
        errors = refusals(answer["errors"], _FIELDS)
    return await _page(
        request, pages, viewer, status_code=400, errors=errors, form=form, failed=action, member_id=member_id
    )


@post(f"{PATH}/{{member_id:uuid}}/block", include_in_schema=False, status_code=303)
async def block_member(request: AnyRequest, pages: PageData, member_id: uuid.UUID) -> Response[str] | Redirect:
    await operator(request)
    form = await form_of(request)
    errors = FormErrors()
    if not form["reason"] or len(form["reason"]) > 200:
        errors.add("reason", _REASON)
    variables = {"id": str(member_id), "reason": form["reason"]}
    return await _change(request, pages, str(member_id), "block", "member_block", variables, errors, form, "blocked")


@post(f"{PATH}/{{member_id:uuid}}/unblock", include_in_schema=False, status_code=303)
async def unblock_member(request: AnyRequest, pages: PageData, member_id: uuid.UUID) -> Response[str] | Redirect:
    await operator(request)
    form = await form_of(request)
    variables = {"id": str(member_id), "reason": form["reason"] or None}
    return await _change(
        request, pages, str(member_id), "unblock", "member_unblock", variables, FormErrors(), form, "unblocked"
    )


@post(f"{PATH}/{{member_id:uuid}}/adjust", include_in_schema=False, status_code=303)
async def adjust_points(request: AnyRequest, pages: PageData, member_id: uuid.UUID) -> Response[str] | Redirect:
    """The form carries a key made with the page: sent twice (a double tap,
    a retry after a hiccup), it posts once."""
    await operator(request)
    form = await form_of(request)
    errors = FormErrors()
    points = integer_in(form, "points", errors, _POINTS, low=-1_000_000, high=1_000_000)
    if points == 0:
        errors.add("points", _POINTS)
    if not form["reason"] or len(form["reason"]) > 200:
        errors.add("reason", _REASON)
    key = form["key"] if 1 <= len(form["key"]) <= 128 and form["key"].isalnum() else uuid.uuid4().hex
    variables = {"input": {"idempotencyKey": f"web-{key}", "memberId": str(member_id), "points": points,
                           "reason": form["reason"]}}  # fmt: skip
    return await _change(request, pages, str(member_id), "adjust", "member_adjust", variables, errors, form, "adjusted")


ROUTES = [members_page, block_member, unblock_member, adjust_points]
