"""``/portal/operator/rules``: the coalition-wide rules, one form per section
(the earn-rate band, bonuses, tiers, enrolment and pilot invites, transfers),
the charities, and a link to the terms members read, written from these rules."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from litestar import Response, get, post
from litestar.response import Redirect

from coalition.web.documents import PageData
from coalition.web.operator.common import (
    FORM,
    N_,
    FormErrors,
    FormValues,
    back_to,
    decimal_in,
    fetch,
    form_of,
    integer_in,
    operator,
    refusals,
)
from coalition.web.pages import AnyRequest
from coalition.web.portal.layout import portal_page
from coalition.web.viewers import StaffViewer

PATH = "/portal/operator/rules"
MAX_TIERS = 20
_RATE = N_("Enter points per unit spent, e.g. 0.5 (at most 4 decimals).")
_BAND = N_("The lowest rate must not be above the highest.")
_POINTS = N_("Enter a whole number of points from 0 to 1,000,000.")
_LIMIT = N_("Enter a whole number of points, or leave it empty for no limit.")
_DAYS = N_("Enter a number of days from 0 to 1098.")
_AMOUNT = N_("Enter an amount, e.g. 10 or 12.50.")
_CODE = N_("Enter a short code in capitals, e.g. GOLD; each tier its own.")
_NAME = N_("Enter a name of 1 to 64 characters.")
_THRESHOLD = N_("The first tier starts at 0 and each next one higher.")
_MULTIPLIER = N_("Enter a multiplier from 1 to 10, e.g. 1.25.")
_BENEFITS = N_("At most 20 benefits, separated by commas.")
_PER_DAY = N_("Must be at least the limit per transfer.")
_USES = N_("Enter how many people may use the code, from 1 to 100,000.")
_LABEL = N_("At most 200 characters.")
DONE = {
    "band": N_("The earn-rate band was saved."),
    "bonuses": N_("The bonuses were saved."),
    "tiers": N_("The tiers were saved."),
    "enrolment": N_("Enrolment was saved."),
    "transfers": N_("Transfers were saved."),
    "charity": N_("The charity was saved."),
}
BASES = (("POINTS", N_("Points earned")), ("SPEND", N_("Money spent (in cents)")))
PERIODS = (("WEEK", N_("Birthday week")), ("MONTH", N_("Birthday month")))
MODES = (("OPEN", N_("Open to everyone")), ("INVITE_ONLY", N_("Invite-only pilot")))
_SECTION_FIELDS = {
    "band": {"minEarnRate": _RATE, "maxEarnRate": _RATE, "maxPointsPerTransaction": _LIMIT,
             "maxPointsPerMemberPerDay": _LIMIT},
    "bonuses": {n: _POINTS for n in ("signup", "birthday", "referrer", "referee")} | {"referralMinPurchase": _AMOUNT},
    "transfers": {"maxPointsPerTransfer": _POINTS, "maxPointsPerDay": _PER_DAY},
    "enrolment": {},
    "tiers": {"windowDays": _DAYS, "retentionDays": _DAYS},
}  # fmt: skip
_TIER_FIELDS = {"code": _CODE, "name": _NAME, "threshold": _THRESHOLD, "multiplier": _MULTIPLIER,
                "benefits": _BENEFITS}  # fmt: skip


async def _page(
    request: AnyRequest, pages: PageData, viewer: StaffViewer, *, status_code: int = 200,
    errors: FormErrors | None = None, form: FormValues | None = None, failed: str | None = None,
    invite_code: str | None = None,
) -> Response[str]:  # fmt: skip
    data = await fetch(request, pages, viewer, "rules")
    tiers = data["coalitionRules"]["tiers"]["tiers"]
    rows: list[dict[str, Any] | None] = [*tiers, None]
    if failed == "tiers" and form is not None:  # as many rows as were sent, and a blank one
        sent = [i for i in range(MAX_TIERS + 1) if any(form[f"tier-{i}-{n}"] for n in _TIER_FIELDS)]
        rows += [None] * (max(sent, default=-1) + 2 - len(rows))
    return portal_page(
        request, viewer, "operator/rules.html", status_code=status_code, coalition=data["coalition"],
        rules=data["coalitionRules"], charities=data["charities"], terms_url=data["programTerms"]["url"],
        tier_rows=rows, notice=DONE.get(request.query_params.get("done", "")),
        errors=errors or FormErrors(), form=form or FormValues(), failed=failed, invite_code=invite_code,
        bases=BASES, periods=PERIODS, modes=MODES,
    )  # fmt: skip


@get(PATH, include_in_schema=False)
async def rules_page(request: AnyRequest, pages: PageData) -> Response[str]:
    return await _page(request, pages, await operator(request))


def _band(form: FormValues, errors: FormErrors) -> dict[str, Any]:
    low = decimal_in(form, "minEarnRate", errors, _RATE)
    high = decimal_in(form, "maxEarnRate", errors, _RATE)
    per_posting = integer_in(form, "maxPointsPerTransaction", errors, _LIMIT, low=1, high=10**6, optional=True)
    per_day = integer_in(form, "maxPointsPerMemberPerDay", errors, _LIMIT, low=1, high=10**6, optional=True)
    if low is not None and high is not None and Decimal(low) > Decimal(high):
        errors.add("minEarnRate", _BAND)
    return {"limits": {"minEarnRate": low, "maxEarnRate": high, "maxPointsPerTransaction": per_posting,
                       "maxPointsPerMemberPerDay": per_day}}  # fmt: skip


def _bonuses(form: FormValues, errors: FormErrors) -> dict[str, Any]:
    points = {
        n: integer_in(form, n, errors, _POINTS, high=10**6) for n in ("signup", "birthday", "referrer", "referee")
    }
    minimum = decimal_in(form, "referralMinPurchase", errors, _AMOUNT)
    period = form["birthdayPeriod"] if form["birthdayPeriod"] in dict(PERIODS) else "MONTH"
    return {"bonuses": {**points, "birthdayPeriod": period, "referralMinPurchase": minimum}}


def _tiers(form: FormValues, errors: FormErrors) -> dict[str, Any]:
    rows = []
    for i in range(MAX_TIERS + 1):
        code, name = form[f"tier-{i}-code"], form[f"tier-{i}-name"]
        if not code and not name and not form[f"tier-{i}-threshold"]:
            continue  # a blank row: no tier
        threshold = integer_in(form, f"tier-{i}-threshold", errors, _THRESHOLD, high=10**9)
        multiplier = decimal_in(form, f"tier-{i}-multiplier", errors, _MULTIPLIER)
        benefits = [b.strip() for b in form[f"tier-{i}-benefits"].split(",") if b.strip()]
        rows.append({"code": code, "name": name, "threshold": threshold, "multiplier": multiplier,
                     "benefits": benefits, "row": i})  # fmt: skip
    basis = form["basis"] if form["basis"] in dict(BASES) else "POINTS"
    window = integer_in(form, "windowDays", errors, _DAYS, low=1, high=1098)
    retention = integer_in(form, "retentionDays", errors, _DAYS, high=1098)
    return {"tiers": {"basis": basis, "windowDays": window, "retentionDays": retention, "tiers": rows}}


def _enrolment(form: FormValues, errors: FormErrors) -> dict[str, Any]:
    mode = form["enrolmentMode"]
    if mode not in dict(MODES):
        errors.add("enrolmentMode", N_("Choose one of the options in the list."))
    return {"enrolmentMode": mode}


def _transfers(form: FormValues, errors: FormErrors) -> dict[str, Any]:
    per_transfer = integer_in(form, "maxPointsPerTransfer", errors, _POINTS, low=1, high=10**6)
    per_day = integer_in(form, "maxPointsPerDay", errors, _PER_DAY, low=1, high=10**7)
    return {"transfers": {"enabled": form["enabled"] == "on", "maxPointsPerTransfer": per_transfer,
                          "maxPointsPerDay": per_day}}  # fmt: skip


SECTIONS = {"band": _band, "bonuses": _bonuses, "tiers": _tiers, "enrolment": _enrolment, "transfers": _transfers}


def _tier_refusals(errors: list[dict[str, Any]], rows: list[int]) -> FormErrors:
    """A tier's refusal names its place among the tiers sent: shown on the row it came from."""
    found = FormErrors()
    for error in errors:
        path = error.get("field") or []
        index = next((int(p) for p in path if re.fullmatch(r"[0-9]+", p)), None)
        name = path[-1] if path else ""
        if index is not None and index < len(rows) and name in _TIER_FIELDS:
            found.add(f"tier-{rows[index]}-{name}", _TIER_FIELDS[name])
        elif index is not None and index < len(rows):
            found.add(f"tier-{rows[index]}-threshold", _THRESHOLD)
        else:
            found.update(refusals([error], _SECTION_FIELDS["tiers"]))
    return found


@post(f"{PATH}/{{section:str}}", include_in_schema=False, status_code=303)
async def save_section(request: AnyRequest, pages: PageData, section: str) -> Response[str] | Redirect:
    viewer = await operator(request)
    form = await form_of(request)
    read = SECTIONS.get(section)
    if read is None:
        return await _page(request, pages, viewer, status_code=404)
    errors = FormErrors()
    change = read(form, errors)
    if errors:
        return await _page(request, pages, viewer, status_code=400, errors=errors, form=form, failed=section)
    # Which row of the form each tier sent came from (blank rows are not sent).
    row_numbers = [row.pop("row") for row in change.get("tiers", {}).get("tiers", [])]
    answer = (await fetch(request, pages, viewer, "rules_save", {"input": change}))["setCoalitionRules"]
    if answer["errors"]:
        if section == "tiers":
            found = _tier_refusals(answer["errors"], row_numbers)
        else:
            found = refusals(answer["errors"], _SECTION_FIELDS[section])
        return await _page(request, pages, viewer, status_code=400, errors=found, form=form, failed=section)
    return back_to(PATH, done=section)


@post(f"{PATH}/invites", include_in_schema=False, status_code=200)
async def make_invite(request: AnyRequest, pages: PageData) -> Response[str]:
    """A pilot invite code, shown on the page once (never stored readable)."""
    viewer = await operator(request)
    form = await form_of(request)
    errors = FormErrors()
    uses = integer_in(form, "maxUses", errors, _USES, low=1, high=100_000)
    if len(form["label"]) > 200:
        errors.add("label", _LABEL)
    if errors:
        return await _page(request, pages, viewer, status_code=400, errors=errors, form=form, failed="invites")
    variables = {"input": {"maxUses": uses, "label": form["label"] or None}}
    answer = (await fetch(request, pages, viewer, "invite_create", variables))["createInvite"]
    if answer["errors"]:
        found = refusals(answer["errors"], {"maxUses": _USES, "label": _LABEL})
        return await _page(request, pages, viewer, status_code=400, errors=found, form=form, failed="invites")
    return await _page(request, pages, viewer, invite_code=answer["code"])


@post(f"{PATH}/charities", include_in_schema=False, status_code=303)
async def add_charity(request: AnyRequest, pages: PageData) -> Response[str] | Redirect:
    viewer = await operator(request)
    form = await form_of(request)
    errors = FormErrors()
    if not form["name"] or len(form["name"]) > 200:
        errors.add("name", _NAME)
    if len(form["description"]) > 1000:
        errors.add("description", N_("At most 1,000 characters."))
    if errors:
        return await _page(request, pages, viewer, status_code=400, errors=errors, form=form, failed="charity")
    variables = {"input": {"name": form["name"], "description": form["description"] or None, "active": True}}
    answer = (await fetch(request, pages, viewer, "charity_create", variables))["createCharity"]
    if answer["errors"]:
        found = refusals(answer["errors"], {"name": _NAME})
        return await _page(request, pages, viewer, status_code=400, errors=found, form=form, failed="charity")
    return back_to(PATH, done="charity")


@post(f"{PATH}/charities/{{charity_id:str}}", include_in_schema=False, status_code=303)
async def change_charity(request: AnyRequest, pages: PageData, charity_id: str) -> Response[str] | Redirect:
    """Withdraw a charity, or list it again, as it is named and described now."""
    viewer = await operator(request)
    form = await form_of(request)
    listed = {c["id"]: c for c in (await fetch(request, pages, viewer, "rules"))["charities"]}
    charity = listed.get(charity_id)
    if charity is None:
        errors = FormErrors({FORM: N_("Not found: it may have been removed or never existed.")})
        return await _page(request, pages, viewer, status_code=404, errors=errors, failed="charities")
    variables = {"id": charity_id, "input": {"name": charity["name"], "description": charity["description"],
                                             "active": form["active"] == "true"}}  # fmt: skip
    answer = (await fetch(request, pages, viewer, "charity_update", variables))["updateCharity"]
    if answer["errors"]:
        found = refusals(answer["errors"], {})
        return await _page(request, pages, viewer, status_code=400, errors=found, failed="charities")
    return back_to(PATH, done="charity")


ROUTES = [rules_page, make_invite, add_charity, change_charity, save_section]
