"""``/portal/shop/dashboard/export/<report>``: each insights report as a CSV
download, for a shop's owner or manager (their own shop) and the operator's
staff (any shop, or with no partnerId the coalition). The figures come from
the report's GraphQL document run as the signed-in person, so the API's
rules decide what they may read."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Response, get
from litestar.datastructures import State

from coalition.graphql.context import Services
from coalition.platform.staff.rules import OPERATOR_ROLES, StaffRole
from coalition.web.documents import DocumentFailed, PageData
from coalition.web.pages import AnyRequest
from coalition.web.shop.dashboard.csv_reports import REPORTS, to_csv
from coalition.web.viewers import NotAllowed, staff_viewer

READERS = (StaffRole.OWNER, StaffRole.MANAGER, *OPERATOR_ROLES)
DEFAULT_DAYS = 30
_REFUSED = "may not read these figures"


class BadArgument(ValueError):
    pass


def _date(value: str | None, default: date, name: str) -> str:
    if not value:
        return default.isoformat()
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise BadArgument(f"{name} must be a date (YYYY-MM-DD)") from None


def _int(value: str | None, default: int, name: str) -> int:
    try:
        return default if not value else int(value)
    except ValueError:
        raise BadArgument(f"{name} must be a whole number") from None


def _float(value: str | None, default: float, name: str) -> float:
    try:
        return default if not value else float(value)
    except ValueError:
        raise BadArgument(f"{name} must be a number") from None


def variables_for(arguments: tuple[str, ...], asked: dict[str, str], today: date) -> dict[str, Any]:
    """The document's variables from the link's query string; unset ones default to the last 30 days."""
    to = date.fromisoformat(_date(asked.get("to"), today, "to"))
    defaults: dict[str, Any] = {
        "from": lambda: _date(asked.get("from"), to - timedelta(days=DEFAULT_DAYS - 1), "from"),
        "to": lambda: to.isoformat(),
        "asOf": lambda: _date(asked.get("asOf"), today, "asOf"),
        "fromMonth": lambda: _date(asked.get("fromMonth"), date(today.year - 1, today.month, 1), "fromMonth"),
        "toMonth": lambda: _date(asked.get("toMonth"), today, "toMonth"),
        "grain": lambda: asked.get("grain", "DAY").upper(),
        "first": lambda: _int(asked.get("first"), 20, "first"),
        "minSupport": lambda: _float(asked.get("minSupport"), 0.01, "minSupport"),
        "windowDays": lambda: _int(asked.get("windowDays"), 90, "windowDays"),
    }
    return {name: defaults[name]() for name in arguments}


def _plain(status: int, message: str) -> Response[str]:
    return Response(message + "\n", status_code=status, media_type="text/plain; charset=utf-8")


@get("/portal/shop/dashboard/export/{report:str}", include_in_schema=False)
async def export_report(request: AnyRequest, state: State, pages: PageData, report: str) -> Response[str]:
    viewer = await staff_viewer(request, READERS)
    chosen = REPORTS.get(report.removesuffix(".csv"))
    if chosen is None:
        return _plain(404, f"no report {report!r}: one of {', '.join(REPORTS)}")
    services: Services = state.services
    coalition = await services.coalitions.get(viewer.coalition_id)
    asked = dict(request.query_params)
    partner = str(viewer.partner_id) if viewer.partner_id else asked.get("partnerId") or None
    try:
        variables = variables_for(chosen.arguments, asked, datetime.now(ZoneInfo(coalition.timezone)).date())
    except BadArgument as bad:
        return _plain(400, str(bad))
    if chosen.shop_only and partner is None:
        return _plain(400, "partnerId is required for this report")
    try:
        data = await pages.fetch(services, viewer.principal, chosen.document, variables | {"partnerId": partner})
    except DocumentFailed as failed:
        if _REFUSED in str(failed):
            raise NotAllowed(str(failed)) from failed
        return _plain(400, str(failed).split(": ", 1)[-1])
    dated = variables.get("to") or variables.get("asOf") or variables.get("toMonth")
    filename = f"{report.removesuffix('.csv')}-{dated}.csv"
    return Response(
        to_csv(chosen.rows(data)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
