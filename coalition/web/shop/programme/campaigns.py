"""``/portal/shop/programme/campaigns``: the shop's campaigns and a new one,
for every member or aimed at a segment or the lapsed list with a holdout;
``/campaigns/<id>``: one campaign with its experiment report, and ending it;
``/campaigns/<id>/edit``: changing it, until it starts (the API's rule: its
members must not see the terms change under them)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Response, get, post
from litestar.exceptions import NotFoundException
from litestar.response import Redirect

from coalition.insights.segments import SEGMENTS
from coalition.web.documents import DocumentFailed, PageData
from coalition.web.pages import AnyRequest
from coalition.web.shop.programme.forms import N_, NOT_A_TIME, PROGRAMME, Form, fetch, manager, page
from coalition.web.viewers import StaffViewer

CAMPAIGNS = f"{PROGRAMME}/campaigns"
KINDS = (("MULTIPLIER", N_("Points multiplied")), ("FIXED_BONUS", N_("Bonus points")), ("COUPON", N_("A coupon")))
EVERYONE, LAPSED = "", "LAPSED"
# The segments' names as members of the shop read them (the API takes the English ones).
SEGMENT_NAMES = (
    N_("Champions"), N_("Loyal"), N_("Potential loyalists"), N_("New"), N_("Promising"), N_("Need attention"),
    N_("About to sleep"), N_("At risk"), N_("Can't lose"), N_("Hibernating"),
)  # fmt: skip
assert SEGMENT_NAMES == SEGMENTS
# The API's field names, as this page's form names them.
_FIELDS = {"audience.segment": "audience", "audience.holdoutShare": "holdoutPercent", "audience": "audience"}
_VERDICTS = {
    "NOT_ENOUGH_DATA": N_("Not enough data yet to name a winner."),
    "SAMPLE_RATIO_MISMATCH": N_("The groups' sizes do not match the planned split: the figures cannot be trusted."),
    "NO_CLEAR_DIFFERENCE": N_("No clear difference."),
    "TREATMENT_BETTER": N_("The campaign did better than the holdout."),
    "HOLDOUT_BETTER": N_("The holdout did better than the campaign."),
}


def _moment(form: Form, name: str, zone: ZoneInfo) -> str | None:
    value = form.text(name, required=True)
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=zone).isoformat()
    except ValueError:
        form.errors[name] = NOT_A_TIME
        return None


def _campaign_input(form: Form, zone: ZoneInfo) -> dict[str, Any]:
    kind = form.text("kind", required=True) or ""
    categories = [c.strip() for c in (form.text("categories") or "").split(",") if c.strip()]
    given: dict[str, Any] = {
        "name": form.text("name", required=True) or "",
        "kind": kind,
        "startsAt": _moment(form, "startsAt", zone),
        "endsAt": _moment(form, "endsAt", zone),
        "multiplier": form.decimal("multiplier", required=kind == "MULTIPLIER"),
        "bonusPoints": form.integer("bonusPoints", required=kind == "FIXED_BONUS"),
        "rewardId": form.text("rewardId", required=kind == "COUPON"),
        "minSpend": form.decimal("minSpend"),
        "categories": categories,
    }
    if kind not in {k for k, _ in KINDS}:
        form.errors["kind"] = N_("Choose what the campaign gives")
    audience = form.text("audience") or EVERYONE
    percent = form.decimal("holdoutPercent")
    if audience != EVERYONE:
        share = str(Decimal(percent) / 100) if percent is not None else None
        given["audience"] = (
            {"kind": "LAPSED", "holdoutShare": share}
            if audience == LAPSED
            else {"kind": "SEGMENT", "segment": audience, "holdoutShare": share}
        )
    elif percent is not None:
        form.errors["holdoutPercent"] = N_("A holdout needs an audience: choose a segment or the lapsed members")
    return given


def _form_field(api_field: list[str] | None) -> str:
    name = ".".join(api_field or []) or "name"
    return _FIELDS.get(name, name)


async def _list(request: AnyRequest, viewer: StaffViewer, pages: PageData, form: Form | None = None) -> Response[str]:
    data = await fetch(request, viewer, pages, "campaigns")
    own = [c for c in data["campaigns"] if c["partner"] and c["partner"]["id"] == str(viewer.partner_id)]
    coalition = [c for c in data["campaigns"] if not c["partner"]]
    return page(
        request, viewer, "campaigns.html", data=data, own=own, coalition_wide=coalition, form=form,
        values=dict(form.values) if form else {"kind": "FIXED_BONUS"}, kinds=KINDS, segments=SEGMENT_NAMES,
    )  # fmt: skip


@get(CAMPAIGNS, include_in_schema=False)
async def campaigns_page(request: AnyRequest, pages: PageData) -> Response[str]:
    return await _list(request, await manager(request), pages)


@post(CAMPAIGNS, include_in_schema=False)
async def create_campaign(request: AnyRequest, pages: PageData) -> Response[Any]:
    viewer = await manager(request)
    form = await Form.of(request)
    zone = ZoneInfo((await fetch(request, viewer, pages, "campaigns"))["coalition"]["timezone"])
    given = _campaign_input(form, zone)
    if form.errors:
        return await _list(request, viewer, pages, form)
    answer = (await fetch(request, viewer, pages, "create_campaign", {"input": given}))["createCampaign"]
    form.refused([e | {"field": [_form_field(e["field"])]} for e in answer["errors"]], "name")
    if form.errors:
        return await _list(request, viewer, pages, form)
    return Redirect(f"{CAMPAIGNS}/{answer['campaign']['id']}", status_code=303)


@get(f"{CAMPAIGNS}/{{campaign_id:str}}", include_in_schema=False)
async def campaign_page(request: AnyRequest, pages: PageData, campaign_id: str) -> Response[str]:
    viewer = await manager(request)
    return await _show(request, viewer, pages, campaign_id)


async def _show(
    request: AnyRequest, viewer: StaffViewer, pages: PageData, campaign_id: str, *, refused: bool = False
) -> Response[str]:
    """The campaign as it is, read-only; ``refused``: a change was just refused because it has started."""
    campaign = (await _own(request, viewer, pages, campaign_id, "campaign"))["campaign"]
    experiment = campaign["experiment"]
    verdicts = (
        {"rate": _VERDICTS[experiment["purchaseRateVerdict"]], "spend": _VERDICTS[experiment["spendVerdict"]]}
        if experiment
        else {}
    )
    ended = datetime.fromisoformat(campaign["endsAt"]) <= datetime.now(UTC)
    return page(
        request, viewer, "campaign.html", campaign=campaign, verdicts=verdicts, refused=refused,
        started=_has_started(campaign), ended=ended, status_code=409 if refused else 200,
    )  # fmt: skip


@post(f"{CAMPAIGNS}/{{campaign_id:str}}/end", include_in_schema=False)
async def end_campaign(request: AnyRequest, pages: PageData, campaign_id: str) -> Response[Any]:
    viewer = await manager(request)
    campaign = (await _own(request, viewer, pages, campaign_id, "campaign"))["campaign"]
    await fetch(request, viewer, pages, "end_campaign", {"id": campaign["id"]})
    return Redirect(f"{CAMPAIGNS}/{campaign['id']}", status_code=303)


async def _own(
    request: AnyRequest, viewer: StaffViewer, pages: PageData, campaign_id: str, document: str
) -> dict[str, Any]:
    """``document``'s data about the shop's own campaign; anything else (another
    shop's, the coalition's, none) is not found."""
    try:
        data = await fetch(request, viewer, pages, document, {"id": campaign_id})
    except DocumentFailed as failed:  # an id that is no id at all
        raise NotFoundException() from failed
    campaign: dict[str, Any] | None = data["campaign"]
    if campaign is None or not campaign["partner"] or campaign["partner"]["id"] != str(viewer.partner_id):
        raise NotFoundException()
    return data


def _local(moment: str, zone: ZoneInfo) -> str:
    """An API time as the form's ``datetime-local`` value, in the coalition's time zone."""
    return datetime.fromisoformat(moment).astimezone(zone).strftime("%Y-%m-%dT%H:%M")


def _values_of(campaign: dict[str, Any], zone: ZoneInfo) -> dict[str, str]:
    """The campaign as its form's values, as a manager would have typed them."""
    audience = campaign["audience"]
    share = audience["holdoutShare"] if audience else None
    percent = f"{(Decimal(share) * 100).normalize():f}" if share else ""
    chosen = "" if audience is None else LAPSED if audience["kind"] == LAPSED else audience["segment"] or ""
    return {
        "name": campaign["name"], "kind": campaign["kind"], "multiplier": campaign["multiplier"] or "",
        "bonusPoints": "" if campaign["bonusPoints"] is None else str(campaign["bonusPoints"]),
        "rewardId": campaign["reward"]["id"] if campaign["reward"] else "", "minSpend": campaign["minSpend"] or "",
        "categories": ", ".join(campaign["categories"]), "startsAt": _local(campaign["startsAt"], zone),
        "endsAt": _local(campaign["endsAt"], zone), "audience": chosen, "holdoutPercent": percent,
    }  # fmt: skip


def _has_started(campaign: dict[str, Any]) -> bool:
    return datetime.fromisoformat(campaign["startsAt"]) <= datetime.now(UTC)


def _edit_page(
    request: AnyRequest, viewer: StaffViewer, data: dict[str, Any], values: dict[str, str], form: Form | None = None
) -> Response[str]:
    return page(
        request, viewer, "campaign_edit.html", data=data, campaign=data["campaign"], form=form, values=values,
        kinds=KINDS, segments=SEGMENT_NAMES,
    )  # fmt: skip


@get(f"{CAMPAIGNS}/{{campaign_id:str}}/edit", include_in_schema=False)
async def edit_campaign_page(request: AnyRequest, pages: PageData, campaign_id: str) -> Response[str]:
    """The form filled from the campaign; once it has started, the campaign read-only, saying why."""
    viewer = await manager(request)
    data = await _own(request, viewer, pages, campaign_id, "campaign_edit")
    if _has_started(data["campaign"]):
        return await _show(request, viewer, pages, campaign_id)
    zone = ZoneInfo(data["coalition"]["timezone"])
    return _edit_page(request, viewer, data, _values_of(data["campaign"], zone))


@post(f"{CAMPAIGNS}/{{campaign_id:str}}/edit", include_in_schema=False)
async def edit_campaign(request: AnyRequest, pages: PageData, campaign_id: str) -> Response[Any]:
    viewer = await manager(request)
    data = await _own(request, viewer, pages, campaign_id, "campaign_edit")
    campaign = data["campaign"]
    if _has_started(campaign):
        return await _show(request, viewer, pages, campaign_id, refused=True)
    form = await Form.of(request)
    given = _campaign_input(form, ZoneInfo(data["coalition"]["timezone"]))
    if form.errors:
        return _edit_page(request, viewer, data, dict(form.values), form)
    # The form has no tiers: a campaign aimed at tiers through the API keeps them.
    given["tiers"] = campaign["tiers"]
    variables = {"id": campaign["id"], "input": given}
    answer = (await fetch(request, viewer, pages, "update_campaign", variables))["updateCampaign"]
    if any(e["code"] == "CONFLICT" for e in answer["errors"]):  # it started while the form was open
        return await _show(request, viewer, pages, campaign_id, refused=True)
    form.refused([e | {"field": [_form_field(e["field"])]} for e in answer["errors"]], "name")
    if form.errors:
        return _edit_page(request, viewer, data, dict(form.values), form)
    return Redirect(f"{CAMPAIGNS}/{campaign['id']}", status_code=303)
