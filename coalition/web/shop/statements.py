"""``/portal/shop/statements``: the shop's settlement, day by day (its own
line of each run: points issued and redeemed, what it is owed and owes, the
fees, the net), whether each day is final and paid, each day's statement as
PDF or CSV (the same files as ``coalition statement``), and the IBAN the
coalition pays the shop into."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from litestar import Response, get, post
from litestar.response import Redirect

from coalition.web.documents import PageData
from coalition.web.pages import AnyRequest
from coalition.web.portal.layout import portal_page
from coalition.web.shop import forms
from coalition.web.shop.context import MANAGERS, services
from coalition.web.shop.forms import Refusal
from coalition.web.viewers import StaffViewer, staff_viewer

STATEMENTS = "/portal/shop/statements"
FORMATS = {"pdf": "PDF", "csv": "CSV"}
# A day's run is money to move once approved, and settled once paid.
AWAITING_PAYMENT = "APPROVED"


def balance_due(days: list[dict[str, Any]]) -> Decimal:
    """What approved, unpaid days add up to for the shop: positive, the
    coalition owes the shop; negative, the shop owes the coalition."""
    return sum(
        (Decimal(line["net"]["amount"]) for day in days if day["status"] == AWAITING_PAYMENT for line in day["lines"]),
        Decimal(0),
    )


async def _statements(
    request: AnyRequest, pages: PageData, viewer: StaffViewer, *, after: str | None = None, status_code: int = 200,
    iban: str | None = None, refusal: Refusal | None = None, saved: bool = False,
) -> Response[str]:  # fmt: skip
    try:
        cursor = date.fromisoformat(after).isoformat() if after else None
    except ValueError:
        cursor = None
    data = await pages.fetch(
        services(request), viewer.principal, "shop/statements", {"partnerId": str(viewer.partner_id), "after": cursor}
    )
    days = [edge["node"] for edge in (data["settlementRuns"] or {"edges": []})["edges"]]
    return portal_page(
        request, viewer, "shop/statements.html", status_code=status_code, data=data, days=days, back=STATEMENTS,
        due=balance_due(days), page_info=(data["settlementRuns"] or {}).get("pageInfo"),
        iban=iban if iban is not None else (data["partner"]["payoutIban"] or ""), refusal=refusal, saved=saved,
    )  # fmt: skip


@get(STATEMENTS, include_in_schema=False)
async def statements_page(request: AnyRequest, pages: PageData, after: str | None = None) -> Response[str]:
    viewer = await staff_viewer(request, MANAGERS)
    return await _statements(request, pages, viewer, after=after)


@get(f"{STATEMENTS}/{{day:str}}/{{kind:str}}", include_in_schema=False)
async def statement_file(request: AnyRequest, pages: PageData, day: str, kind: str) -> Response[str] | Redirect:
    """To the file itself, through a fresh link from the API (links expire:
    the page's own links never do)."""
    viewer = await staff_viewer(request, MANAGERS)
    try:
        business_date = date.fromisoformat(day)
    except ValueError:
        business_date = None
    if business_date is None or kind not in FORMATS:
        return portal_page(request, viewer, "shop/not_found.html", status_code=404)
    data = await pages.fetch(
        services(request), viewer.principal, "shop/statement_download",
        {"day": business_date.isoformat(), "format": FORMATS[kind]},
    )  # fmt: skip
    run = data["settlementRun"]
    if run is None or run["statement"] is None:
        return portal_page(request, viewer, "shop/not_found.html", status_code=404)
    return Redirect(run["statement"]["url"], status_code=303)


@post(f"{STATEMENTS}/iban", include_in_schema=False)
async def set_iban(request: AnyRequest, pages: PageData) -> Response[str]:
    viewer = await staff_viewer(request, MANAGERS)
    form = await request.form()
    typed = forms.text_of(form, "iban", 64)
    if not typed:
        refusal = Refusal().on("iban", forms.N_("Type the IBAN the coalition pays your shop into."))
        return await _statements(request, pages, viewer, iban=typed, refusal=refusal, status_code=400)
    data = await pages.fetch(services(request), viewer.principal, "shop/statements_iban", {"iban": typed})
    payload = data["setPayoutAccount"]
    if payload["errors"]:
        refusal = forms.refused(payload["errors"], frozenset({"iban"}))
        return await _statements(request, pages, viewer, iban=typed, refusal=refusal, status_code=400)
    return await _statements(request, pages, viewer, saved=True)


ROUTES = [statements_page, statement_file, set_iban]
