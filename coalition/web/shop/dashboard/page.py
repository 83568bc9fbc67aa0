"""``/portal/shop/dashboard``: a shop's owner or manager sees how the
programme is doing for their shop over the last 30 days (or ``from``-``to``):
KPIs against the 30 days before, the revenue trend, points issued and
redeemed, cohorts' retention, segments, where their members also shop, what
is bought together, whom to win back, and each report as CSV."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from litestar import Response, get
from litestar.datastructures import State

from coalition.graphql.context import Services
from coalition.platform.staff.rules import StaffRole
from coalition.web.documents import PageData
from coalition.web.pages import AnyRequest, page_language
from coalition.web.portal.layout import portal_page
from coalition.web.shop.dashboard import view
from coalition.web.shop.dashboard.csv_reports import REPORTS
from coalition.web.viewers import staff_viewer

DAYS = 30


def _date(value: str | None, default: date) -> date:
    try:
        return date.fromisoformat(value) if value else default
    except ValueError:
        return default


@get("/portal/shop/dashboard", include_in_schema=False)
async def dashboard_page(request: AnyRequest, state: State, pages: PageData) -> Response[str]:
    viewer = await staff_viewer(request, (StaffRole.OWNER, StaffRole.MANAGER))
    services: Services = state.services
    coalition = await services.coalitions.get(viewer.coalition_id)
    today = datetime.now(ZoneInfo(coalition.timezone)).date()
    last = _date(request.query_params.get("to"), today)
    first = _date(request.query_params.get("from"), last - timedelta(days=DAYS - 1))
    if not first <= last <= first + timedelta(days=366):
        first, last = last - timedelta(days=DAYS - 1), last
    variables = {
        "partnerId": str(viewer.partner_id), "from": first.isoformat(), "to": last.isoformat(),
        "fromMonth": date(last.year - 1, last.month, 1).isoformat(), "toMonth": last.isoformat(),
    }  # fmt: skip
    data = await pages.fetch(services, viewer.principal, "shop/dashboard/dashboard", variables)
    language = page_language(request, default="en")
    period, previous = data["kpis"]["period"], data["kpis"]["previous"]
    query = f"from={first.isoformat()}&to={last.isoformat()}&asOf={last.isoformat()}"
    exports = [(name, f"/portal/shop/dashboard/export/{name}.csv?{query}") for name in REPORTS]
    return portal_page(
        request, viewer, "shop/dashboard/page.html", language=language, data=data, period=period,
        previous=previous, view=view, lang=language, trend=view.trend_points(data["kpiSeries"]),
        chart=(view.CHART_WIDTH, view.CHART_HEIGHT), exports=exports,
    )  # fmt: skip
