"""``/portal/operator/partners``: every shop of the coalition; inviting a new
one with its owner, activating, suspending and terminating shops, their fees."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from litestar import Response, get, post
from litestar.response import Redirect

from coalition.platform.errors import DomainError
from coalition.platform.runtime.unit_of_work import unit_of_work
from coalition.platform.staff import rules as staff_rules
from coalition.platform.staff import service as staff
from coalition.platform.staff.rules import Grant, StaffRole
from coalition.web.documents import PageData
from coalition.web.operator.common import (
    N_,
    FormErrors,
    FormValues,
    back_to,
    decimal_in,
    fetch,
    form_of,
    operator,
    refusals,
    services_of,
)
from coalition.web.pages import AnyRequest
from coalition.web.portal.layout import portal_page
from coalition.web.viewers import StaffViewer

PATH = "/portal/operator/partners"
STATUSES = {
    "INVITED": N_("Invited"),
    "ACTIVE": N_("Active"),
    "SUSPENDED": N_("Suspended"),
    "TERMINATED": N_("Terminated"),
}
EXIT_MODELS = {
    "BUY_OUT": N_("Buy-out: the shop pays for its outstanding points today; the coalition honours them."),
    "KEEP_LIABLE": N_("Keep liable: the shop keeps paying for its points as members spend them."),
}
DONE = {
    "invited": N_("The shop was added and its owner invited by e-mail."),
    "uninvited": N_("The shop was added, but its owner could not be invited: ask them to contact you."),
    "activated": N_("The shop is active: its tills may give and take points."),
    "suspended": N_("The shop is suspended: its tills stop posting."),
    "terminated": N_("The shop has left the coalition; its members were told."),
    "contract": N_("The fees were saved."),
}
_NAME = N_("Enter the shop's name.")
_RATE = N_("Enter points per unit spent, e.g. 1 or 1.5.")
_EMAIL = N_("Enter the owner's e-mail address.")
_OWNER = N_("Enter the owner's name.")
_REASON = N_("Give a reason (at most 200 characters).")
_FEE = N_("Enter an amount, e.g. 0.001 (0 for none).")
_PERCENT = N_("Enter a percentage from 0 to 100.")
CREATE_FIELDS = {"name": _NAME, "earnRatePerUnit": _RATE, "reference": _NAME}
_STATUS_FIELDS = {"reason": _REASON}
_CONTRACT_FIELDS = {"feePerPointIssued": _FEE, "feePercentOfRedemption": _PERCENT}
# The API's field names -> this page's
_CREATE_RENAMED = {"earnRatePerUnit": "rate"}


async def _page(
    request: AnyRequest, pages: PageData, viewer: StaffViewer, *, status_code: int = 200,
    errors: FormErrors | None = None, form: FormValues | None = None, failed: str | None = None,
) -> Response[str]:  # fmt: skip
    data = await fetch(request, pages, viewer, "partners")
    fees = {c["partner"]["id"]: c for c in data["partnerContracts"] if c["partner"]}
    done = request.query_params.get("done")
    return portal_page(
        request, viewer, "operator/partners.html", status_code=status_code, coalition=data["coalition"],
        partners=[edge["node"] for edge in data["coalition"]["partners"]["edges"]], fees=fees,
        exit_model=EXIT_MODELS[data["settlementPolicy"]["exitModel"]], statuses=STATUSES,
        notice=DONE.get(done or ""), errors=errors or FormErrors(), form=form or FormValues(), failed=failed,
        languages_for_staff=staff_rules.SUPPORTED_LANGUAGES,
    )  # fmt: skip


@get(PATH, include_in_schema=False)
async def partners_page(request: AnyRequest, pages: PageData) -> Response[str]:
    return await _page(request, pages, await operator(request))


@post(PATH, include_in_schema=False, status_code=303)
async def invite_shop(request: AnyRequest, pages: PageData) -> Response[str] | Redirect:
    """A new shop and its owner's invitation: the owner's details are checked
    before the shop is made, so a typo leaves nothing half done."""
    viewer = await operator(request)
    form = await form_of(request)
    errors = FormErrors()
    if not form.get("name") or len(form["name"]) > 200:
        errors.add("name", _NAME)
    rate = decimal_in(form, "rate", errors, _RATE)
    try:
        email = staff_rules.normalised_email(form.get("email", ""))
    except DomainError:
        errors.add("email", _EMAIL)
    if not form.get("owner"):
        errors.add("owner", _OWNER)
    language = form.get("language", "")
    if language not in staff_rules.SUPPORTED_LANGUAGES:
        errors.add("language", N_("Choose one of the languages in the list."))
    if errors:
        return await _page(request, pages, viewer, status_code=400, errors=errors, form=form, failed="invite")
    shop = {"input": {"name": form["name"], "earnRatePerUnit": rate}}
    made = (await fetch(request, pages, viewer, "partner_create", shop))["createPartner"]
    if made["errors"]:
        found = refusals(made["errors"], CREATE_FIELDS)
        for api_name, ours in _CREATE_RENAMED.items():
            if api_name in found:
                found[ours] = found.pop(api_name)
        return await _page(request, pages, viewer, status_code=400, errors=found, form=form, failed="invite")
    services = services_of(request)
    mailing: staff.Mailing = request.app.state.services.mailing
    try:
        async with unit_of_work(services.sessions, services.redis, services.local_caches) as session:
            await staff.invite(
                session, viewer.principal, [viewer.session.grant], email=email, name=form["owner"],
                language=language, grant=Grant(StaffRole.OWNER, uuid.UUID(made["partner"]["id"])), mailing=mailing,
                now=datetime.now(UTC),
            )  # fmt: skip
    except DomainError:
        # The shop exists, its owner is not invited: say so, rather than leave it unsaid.
        return back_to(PATH, done="uninvited")
    return back_to(PATH, done="invited")


async def _status_change(
    request: AnyRequest, pages: PageData, partner_id: str, document: str, done: str, *, needs_reason: bool
) -> Response[str] | Redirect:
    viewer = await operator(request)
    form = await form_of(request)
    variables: dict[str, Any] = {"id": partner_id}
    if needs_reason:
        reason = form.get("reason", "")
        if not reason or len(reason) > 200:
            errors = FormErrors({"reason": _REASON})
            return await _page(request, pages, viewer, status_code=400, errors=errors, form=form,
                               failed=f"{document}:{partner_id}")  # fmt: skip
        variables["reason"] = reason
    answer = next(iter((await fetch(request, pages, viewer, document, variables)).values()))
    if answer["errors"]:
        errors = refusals(answer["errors"], _STATUS_FIELDS)
        return await _page(request, pages, viewer, status_code=400, errors=errors, form=form,
                           failed=f"{document}:{partner_id}")  # fmt: skip
    return back_to(PATH, done=done)


@post(f"{PATH}/{{partner_id:str}}/activate", include_in_schema=False, status_code=303)
async def activate_shop(request: AnyRequest, pages: PageData, partner_id: str) -> Response[str] | Redirect:
    return await _status_change(request, pages, partner_id, "partner_activate", "activated", needs_reason=False)


@post(f"{PATH}/{{partner_id:str}}/suspend", include_in_schema=False, status_code=303)
async def suspend_shop(request: AnyRequest, pages: PageData, partner_id: str) -> Response[str] | Redirect:
    return await _status_change(request, pages, partner_id, "partner_suspend", "suspended", needs_reason=True)


@post(f"{PATH}/{{partner_id:str}}/terminate", include_in_schema=False, status_code=303)
async def terminate_shop(request: AnyRequest, pages: PageData, partner_id: str) -> Response[str] | Redirect:
    return await _status_change(request, pages, partner_id, "partner_terminate", "terminated", needs_reason=True)


@post(f"{PATH}/{{partner_id:str}}/contract", include_in_schema=False, status_code=303)
async def set_fees(request: AnyRequest, pages: PageData, partner_id: str) -> Response[str] | Redirect:
    viewer = await operator(request)
    form = await form_of(request)
    errors = FormErrors()
    per_point = decimal_in(form, "feePerPointIssued", errors, _FEE)
    percent = decimal_in(form, "feePercentOfRedemption", errors, _PERCENT)
    failed = f"contract:{partner_id}"
    if errors:
        return await _page(request, pages, viewer, status_code=400, errors=errors, form=form, failed=failed)
    variables = {"input": {"partnerId": partner_id, "feePerPointIssued": per_point, "feePercentOfRedemption": percent}}
    answer = (await fetch(request, pages, viewer, "partner_contract", variables))["setPartnerContract"]
    if answer["errors"]:
        found = refusals(answer["errors"], _CONTRACT_FIELDS)
        return await _page(request, pages, viewer, status_code=400, errors=found, form=form, failed=failed)
    return back_to(PATH, done="contract")


ROUTES = [partners_page, invite_shop, activate_shop, suspend_shop, terminate_shop, set_fees]
