"""``/portal/operator/insights``: the coalition's figures for the operator's
admin and finance staff, the shop dashboard's pieces with the coalition as
their scope: KPIs against the period before, the revenue trend, points issued
against points redeemed, cohorts and segments, each report as CSV. Choosing a
shop shows that shop's figures instead (the API has no one-query comparison
of every shop)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from litestar import Response, get

from coalition.web.documents import DocumentFailed, PageData
from coalition.web.operator.common import N_, OPERATORS, FormErrors, FormValues, fetch, operator, services_of
from coalition.web.pages import AnyRequest, page_language
from coalition.web.portal.layout import portal_page
from coalition.web.shop.dashboard import view
from coalition.web.shop.dashboard.csv_reports import REPORTS

PATH = "/portal/operator/insights"
EXPORT = "/portal/shop/dashboard/export"
DAYS = 30
LONGEST = 366  # the insights API's longest range, in days
_NOT_A_DATE = N_("Enter a date as YYYY-MM-DD.")
_BACKWARDS = N_("The first day must not be after the last.")
_TOO_LONG = N_("Choose at most 366 days.")
_NO_SUCH_SHOP = N_("Choose a shop from the list.")


@dataclass(frozen=True)
class Scope:
    """What the page shows: from ``first`` to ``last``, for one shop or (None) the coalition."""

    first: date
    last: date
    partner: uuid.UUID | None


def _day(asked: Mapping[str, str], name: str, errors: FormErrors) -> date | None:
    value = asked.get(name, "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors.add(name, _NOT_A_DATE)
        return None


def chosen_scope(asked: Mapping[str, str], today: date, errors: FormErrors) -> Scope:
    """The period and shop asked for; what is wrong goes to ``errors`` by field and the default is shown."""
    last = _day(asked, "to", errors) or today
    first = _day(asked, "from", errors) or last - timedelta(days=DAYS - 1)
    if first > last:
        errors.add("from", _BACKWARDS)
    elif last - first >= timedelta(days=LONGEST):
        errors.add("to", _TOO_LONG)
    if "from" in errors or "to" in errors:
        last = today
        first = last - timedelta(days=DAYS - 1)
    partner: uuid.UUID | None = None
    if asked.get("partnerId", "").strip():
        try:
            partner = uuid.UUID(asked["partnerId"].strip())
        except ValueError:
            errors.add("partnerId", _NO_SUCH_SHOP)
    return Scope(first, last, partner)


def variables_of(scope: Scope) -> dict[str, Any]:
    return {
        "partnerId": str(scope.partner) if scope.partner else None, "from": scope.first.isoformat(),
        "to": scope.last.isoformat(), "fromMonth": date(scope.last.year - 1, scope.last.month, 1).isoformat(),
        "toMonth": scope.last.isoformat(),
    }  # fmt: skip


def exports_of(scope: Scope) -> list[tuple[str, str]]:
    """The shop dashboard's CSV downloads in this scope (those needing a shop only when one is chosen)."""
    query = {"from": scope.first.isoformat(), "to": scope.last.isoformat(), "asOf": scope.last.isoformat()}
    if scope.partner:
        query["partnerId"] = str(scope.partner)
    return [
        (name, f"{EXPORT}/{name}.csv?{urlencode(query)}")
        for name, report in REPORTS.items()
        if scope.partner or not report.shop_only
    ]


def shops_of(data: dict[str, Any]) -> list[tuple[str, str]]:
    """The partner selector's (id, name) options, by name."""
    found = [(edge["node"]["id"], edge["node"]["name"]) for edge in data["coalition"]["partners"]["edges"]]
    return sorted(found, key=lambda shop: shop[1].casefold())


@get(PATH, include_in_schema=False)
async def insights_page(request: AnyRequest, pages: PageData) -> Response[str]:
    viewer = await operator(request, OPERATORS)
    coalition = await services_of(request).coalitions.get(viewer.coalition_id)
    asked = FormValues({key: value.strip() for key, value in request.query_params.items()})
    errors = FormErrors()
    scope = chosen_scope(asked, datetime.now(ZoneInfo(coalition.timezone)).date(), errors)
    try:
        data = await fetch(request, pages, viewer, "insights", variables_of(scope))
    except DocumentFailed:
        if scope.partner is None:
            raise
        data = None
    shops = shops_of(data) if data else []
    if data is None or (scope.partner and str(scope.partner) not in dict(shops)):
        # An address naming another coalition's shop, or none: the coalition's figures instead.
        errors.add("partnerId", _NO_SUCH_SHOP)
        scope = Scope(scope.first, scope.last, None)
        data = await fetch(request, pages, viewer, "insights", variables_of(scope))
        shops = shops_of(data)
    language = page_language(request, default="en")
    issued, redeemed = view.points_lines(data["kpiSeries"])
    return portal_page(
        request, viewer, "operator/insights.html", coalition=data["coalition"], data=data,
        period=data["kpis"]["period"], previous=data["kpis"]["previous"], view=view, lang=language,
        trend=view.trend_points(data["kpiSeries"]), issued=issued, redeemed=redeemed,
        chart=(view.CHART_WIDTH, view.CHART_HEIGHT), exports=exports_of(scope), shops=shops, asked=asked,
        errors=errors, shop_name=dict(shops).get(str(scope.partner)) if scope.partner else None,
    )  # fmt: skip


ROUTES = [insights_page]
