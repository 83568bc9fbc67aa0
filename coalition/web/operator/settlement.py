"""``/portal/operator/settlement``: the days settled and their state, one
day's run (each party's net, who owes whom), approving a day and marking it
paid, a payout period with its SEPA file, and the account that file pays
from. Operator finance and admin."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from litestar import Response, get, post
from litestar.response import Redirect

from coalition.web.documents import PageData
from coalition.web.operator.common import (
    FORM,
    N_,
    OPERATORS,
    FormErrors,
    FormValues,
    back_to,
    date_in,
    fetch,
    form_of,
    operator,
    refusals,
)
from coalition.web.pages import AnyRequest
from coalition.web.portal.layout import portal_page
from coalition.web.viewers import StaffViewer

PATH = "/portal/operator/settlement"
STATUSES = {
    "PROVISIONAL": N_("Provisional: the day is still open"),
    "COMPUTED": N_("Settled, waiting for approval"),
    "APPROVED": N_("Approved, waiting for payment"),
    "PAID": N_("Paid"),
}
REASONS = {
    "CROSS_REDEMPTION": N_("Points spent at another shop"),
    "ISSUANCE": N_("Points issued"),
    "REDEMPTION": N_("Points redeemed"),
    "FEE": N_("Fees"),
    "BREAKAGE": N_("Expired points"),
    "DONATION": N_("Donations"),
    "BUY_OUT": N_("Buy-out of a leaving shop"),
}
DONE = {
    "run": N_("The day was settled."),
    "approve": N_("The day is approved: its figures are final."),
    "paid": N_("The day is marked as paid."),
    "account": N_("The paying account is saved: the next payout files pay from it."),
}
_DAY = N_("Enter a date, e.g. 2026-03-31.")
_PERIOD = N_("The period's end must not be before its start, and it spans at most a year.")
_DAY_FIELDS = {"businessDate": _DAY}
# The paying account's refusals, by the argument they name (the codes are VALIDATION).
_ACCOUNT_FIELDS = {
    "name": N_("Type the name of the account holder, as the bank knows it."),
    "iban": N_("This is not a valid IBAN: check the country code, the check digits and the length."),
    "bic": N_("This is not a valid BIC: 8 or 11 letters and digits, or leave it empty."),
}
_NOT_SAVED = N_("Nothing was saved: check the fields marked below.")
_STEPS = {"run": "settlement_run", "approve": "settlement_approve", "paid": "settlement_paid"}


def _period(query: FormValues, errors: FormErrors, today: date) -> tuple[date, date]:
    start = date_in(query, "start", errors, _DAY) if query["start"] else today - timedelta(days=30)
    end = date_in(query, "end", errors, _DAY) if query["end"] else today
    if start is None or end is None:
        return today - timedelta(days=30), today
    if end < start or (end - start).days > 366:
        errors.add("end", _PERIOD)
        return today - timedelta(days=30), today
    return start, end


async def _page(
    request: AnyRequest, pages: PageData, viewer: StaffViewer, *, status_code: int = 200,
    errors: FormErrors | None = None, form: FormValues | None = None, failed: str | None = None,
    shown_day: date | None = None,
) -> Response[str]:  # fmt: skip
    errors = errors if errors is not None else FormErrors()
    query = FormValues({k: v.strip() for k, v in request.query_params.items()})
    today = datetime.now(UTC).date()
    start, end = _period(query, errors, today)
    day = shown_day or (date_in(query, "day", FormErrors(), _DAY) if query["day"] else None)
    variables: dict[str, Any] = {
        "day": (day or today).isoformat(), "showDay": day is not None, "start": start.isoformat(),
        "end": end.isoformat(),
    }  # fmt: skip
    data = await fetch(request, pages, viewer, "settlement", variables)
    runs = [edge["node"] for edge in data["settlementRuns"]["edges"]]
    return portal_page(
        request, viewer, "operator/settlement.html", status_code=status_code, coalition=data["coalition"],
        runs=runs, run=data.get("settlementRun"), day=day, period=data["payoutPeriod"], start=start, end=end,
        statuses=STATUSES, reasons=REASONS, notice=DONE.get(query["done"]), errors=errors,
        form=form or FormValues(), failed=failed, today=today, account=data["payingAccount"],
    )  # fmt: skip


@get(PATH, include_in_schema=False)
async def settlement_page(request: AnyRequest, pages: PageData) -> Response[str]:
    viewer = await operator(request, OPERATORS)
    return await _page(request, pages, viewer)


@post(f"{PATH}/days/{{step:str}}", include_in_schema=False, status_code=303)
async def settlement_step(request: AnyRequest, pages: PageData, step: str) -> Response[str] | Redirect:
    """Settle, approve or mark paid the day the form names."""
    viewer = await operator(request, OPERATORS)
    form = await form_of(request)
    document = _STEPS.get(step)
    errors = FormErrors()
    day = date_in(form, "day", errors, _DAY)
    if document is None or day is None:
        errors.add("day", _DAY)
        return await _page(request, pages, viewer, status_code=400, errors=errors, form=form, failed=step)
    answer = next(iter((await fetch(request, pages, viewer, document, {"day": day.isoformat()})).values()))
    if answer["errors"]:
        found = refusals(answer["errors"], _DAY_FIELDS)
        if "businessDate" in found:
            found["day"] = found.pop("businessDate")
        return await _page(request, pages, viewer, status_code=400, errors=found, form=form, failed=step, shown_day=day)
    return back_to(PATH, day=day.isoformat(), done=step)


@post(f"{PATH}/payout-file", include_in_schema=False, status_code=303)
async def payout_file(request: AnyRequest, pages: PageData) -> Response[str] | Redirect:
    """The period's SEPA file: straight to its one-time download."""
    viewer = await operator(request, OPERATORS)
    form = await form_of(request)
    errors = FormErrors()
    start, end = date_in(form, "start", errors, _DAY), date_in(form, "end", errors, _DAY)
    execution = date_in(form, "execution", errors, _DAY)
    if start and end and (end < start or (end - start).days > 366):
        errors.add("end", _PERIOD)
    if errors or start is None or end is None or execution is None:
        return await _page(request, pages, viewer, status_code=400, errors=errors, form=form, failed="payout")
    variables = {"start": start.isoformat(), "end": end.isoformat(), "execution": execution.isoformat()}
    data = await fetch(request, pages, viewer, "payout_file", variables)
    return Redirect(data["payoutPeriod"]["sepaFile"]["url"], status_code=303)


@post(f"{PATH}/paying-account", include_in_schema=False, status_code=303)
async def paying_account(request: AnyRequest, pages: PageData) -> Response[str] | Redirect:
    """The coalition's own account, which the SEPA payout files pay from."""
    viewer = await operator(request, OPERATORS)
    form = await form_of(request)
    variables = {"name": form["name"], "iban": form["iban"], "bic": form["bic"] or None}
    answer = (await fetch(request, pages, viewer, "paying_account", variables))["setPayingAccount"]
    if answer["errors"]:
        errors = refusals(answer["errors"], _ACCOUNT_FIELDS)
        errors.add(FORM, _NOT_SAVED)
        return await _page(request, pages, viewer, status_code=400, errors=errors, form=form, failed="account")
    return back_to(PATH, done="account")


ROUTES = [settlement_page, payout_file, settlement_step, paying_account]
