"""``/portal/shop/till``: the till for shops with no POS integration, on a
tablet or phone. Cashiers, managers and owners give points for a purchase,
spend points, check and burn coupons and enrol new members, as the shop's
till key would through the API.

Every form that posts something carries an idempotency key made when the
form was drawn: a cashier who sends it again after a network hiccup gets the
first answer back, never a second posting. Scanning a card with the camera
(``static/shop/till.js``) only fills the card fields; everything works typed."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from litestar import Response, get, post

from coalition.platform.staff.rules import StaffRole
from coalition.web.documents import PageData
from coalition.web.pages import AnyRequest
from coalition.web.portal.layout import portal_page
from coalition.web.shop import forms
from coalition.web.shop.context import services
from coalition.web.shop.forms import Refusal
from coalition.web.viewers import StaffViewer, staff_viewer

TILL = "/portal/shop/till"
TILL_ROLES = (StaffRole.OWNER, StaffRole.MANAGER, StaffRole.CASHIER)
LINES = 3  # category lines a purchase may be split into on the page
POSTING_FORMS = ("earn", "redeem", "enrol")
_FIELDS = {
    "earn": frozenset({"cardNumber", "amount", "lines"}),
    "redeem": frozenset({"cardNumber", "points"}),
    "coupon": frozenset({"code"}),
    "enrol": frozenset({"cardNumber", "email", "phone"}),
}


async def _viewer(request: AnyRequest) -> StaffViewer:
    return await staff_viewer(request, TILL_ROLES)


async def _draw(
    request: AnyRequest, pages: PageData, viewer: StaffViewer, *, card: str = "", coupon: str = "",
    values: dict[str, dict[str, str]] | None = None, refusals: dict[str, Refusal] | None = None,
    keys: dict[str, str] | None = None, result: dict[str, Any] | None = None, status_code: int = 200,
) -> Response[str]:  # fmt: skip
    """The till as ``viewer`` sees it; ``keys`` keeps a refused form's key
    (nothing was posted with it), every other form gets a new one."""
    refusals = dict(refusals or {})
    lookup = Refusal()
    looked_up = forms.card_number(card, lookup, "card") if card else None
    checked = forms.text_of({"c": coupon}, "c", 64).upper() if coupon else ""
    data = await pages.fetch(
        services(request), viewer.principal, "shop/till",
        {"partnerId": str(viewer.partner_id), "card": looked_up, "withCard": looked_up is not None,
         "coupon": checked, "withCoupon": bool(checked)},
    )  # fmt: skip
    data.setdefault("member", None)
    data.setdefault("coupon", None)
    if looked_up is not None and data["member"] is None:
        lookup.on("card", forms.N_("No member has this card number."))
    if lookup:
        refusals["lookup"] = lookup
    if checked and data["coupon"] is None:
        refusals.setdefault("coupon", Refusal()).on("code", forms.N_("No coupon for your shop has this code."))
    filled = values or {}
    prefill = (result or {}).get("card") or (looked_up if not lookup else None) or ""
    for name in ("earn", "redeem"):
        filled.setdefault(name, {}).setdefault("cardNumber", prefill)
    return portal_page(
        request, viewer, "shop/till.html", status_code=status_code if not lookup else 404, back=TILL,
        data=data, card=card, coupon=checked, values=filled, refusals=refusals, result=result,
        keys={name: (keys or {}).get(name) or forms.new_key() for name in POSTING_FORMS},
        categories=sorted({c["category"] for c in (data.get("earnRules") or {}).get("categoryRates", [])}),
        lines=LINES,
    )  # fmt: skip


@get("/portal/shop/till", include_in_schema=False)
async def till_page(request: AnyRequest, pages: PageData, card: str = "", coupon: str = "") -> Response[str]:
    viewer = await _viewer(request)
    return await _draw(request, pages, viewer, card=card[:64], coupon=coupon[:64])


def _basket(form: Any, total: Decimal | None, refusal: Refusal) -> list[dict[str, str | int]] | None:
    """The optional category lines: each a category and what was spent on it."""
    lines: list[dict[str, str | int]] = []
    for index in range(LINES):
        category = forms.text_of(form, f"category{index}", 64)
        spent = forms.text_of(form, f"lineAmount{index}")
        if not category and not spent:
            continue
        if not category:
            refusal.on(f"category{index}", forms.N_("Name the category of this line."))
            continue
        price = forms.amount(spent, refusal, f"lineAmount{index}")
        if price is not None:
            lines.append({"sku": category, "category": category, "quantity": 1, "unitPrice": str(price)})
    if lines and total is not None and sum(Decimal(str(line["unitPrice"])) for line in lines) > total:
        refusal.on("lines", forms.N_("The lines add up to more than the amount."))
    return lines or None


async def _posted(
    request: AnyRequest, pages: PageData, viewer: StaffViewer, name: str, document: str, variables: dict[str, Any],
    values: dict[str, str], key: str,
) -> tuple[dict[str, Any] | None, Response[str] | None]:  # fmt: skip
    """Runs a posting form's document; a refusal is the page again with the
    form's values, its messages and the same key."""
    data = await pages.fetch(services(request), viewer.principal, document, variables)
    payload = next(iter(data.values()))
    if payload["errors"]:
        refusal = forms.refused(payload["errors"], _FIELDS[name])
        return None, await _draw(
            request, pages, viewer, values={name: values}, refusals={name: refusal}, keys={name: key},
            status_code=400,
        )  # fmt: skip
    return payload, None


@post("/portal/shop/till/earn", include_in_schema=False)
async def till_earn(request: AnyRequest, pages: PageData) -> Response[str]:
    viewer = await _viewer(request)
    form = await request.form()
    refusal, key = Refusal(), forms.text_of(form, "idempotencyKey", 128)
    values = {name: forms.text_of(form, name) for name in form if name != "_csrf_token"}
    card = forms.card_number(values.get("cardNumber", ""), refusal)
    total = forms.amount(values.get("amount", ""), refusal)
    lines = _basket(form, total, refusal)
    if refusal or card is None or total is None:
        return await _draw(
            request, pages, viewer, values={"earn": values}, refusals={"earn": refusal}, keys={"earn": key},
            status_code=400,
        )  # fmt: skip
    earn = {"idempotencyKey": key, "cardNumber": card, "amount": str(total), "lines": lines}
    payload, refused = await _posted(request, pages, viewer, "earn", "shop/till_earn", {"input": earn}, values, key)
    if refused is not None:
        return refused
    assert payload is not None
    return await _draw(request, pages, viewer, result={"kind": "earn", "card": card, **payload})


@post("/portal/shop/till/redeem", include_in_schema=False)
async def till_redeem(request: AnyRequest, pages: PageData) -> Response[str]:
    viewer = await _viewer(request)
    form = await request.form()
    refusal, key = Refusal(), forms.text_of(form, "idempotencyKey", 128)
    values = {name: forms.text_of(form, name) for name in ("cardNumber", "points")}
    card = forms.card_number(values["cardNumber"], refusal)
    spent = forms.points(values["points"], refusal)
    if card is None or spent is None:
        return await _draw(
            request, pages, viewer, values={"redeem": values}, refusals={"redeem": refusal}, keys={"redeem": key},
            status_code=400,
        )  # fmt: skip
    redeem = {"idempotencyKey": key, "cardNumber": card, "points": spent}
    payload, refused = await _posted(
        request, pages, viewer, "redeem", "shop/till_redeem", {"input": redeem}, values, key
    )
    if refused is not None:
        return refused
    assert payload is not None
    return await _draw(request, pages, viewer, result={"kind": "redeem", "card": card, **payload})


@post("/portal/shop/till/coupon", include_in_schema=False)
async def till_use_coupon(request: AnyRequest, pages: PageData) -> Response[str]:
    viewer = await _viewer(request)
    form = await request.form()
    code = forms.text_of(form, "code", 64).upper()
    if not code:
        refusal = Refusal().on("code", forms.N_("Type the coupon's code."))
        return await _draw(request, pages, viewer, refusals={"coupon": refusal}, status_code=400)
    data = await pages.fetch(services(request), viewer.principal, "shop/till_use_coupon", {"code": code})
    payload = data["useCoupon"]
    if payload["errors"]:
        refusal = forms.refused(payload["errors"], _FIELDS["coupon"])
        return await _draw(request, pages, viewer, coupon=code, refusals={"coupon": refusal}, status_code=400)
    return await _draw(request, pages, viewer, result={"kind": "coupon", **payload})


@post("/portal/shop/till/enrol", include_in_schema=False)
async def till_enrol(request: AnyRequest, pages: PageData) -> Response[str]:
    viewer = await _viewer(request)
    form = await request.form()
    refusal, key = Refusal(), forms.text_of(form, "idempotencyKey", 128)
    values = {name: forms.text_of(form, name) for name in ("cardNumber", "email", "phone")}
    card = forms.card_number(values["cardNumber"], refusal) if values["cardNumber"] else None
    if refusal:
        return await _draw(
            request, pages, viewer, values={"enrol": values}, refusals={"enrol": refusal}, keys={"enrol": key},
            status_code=400,
        )  # fmt: skip
    enrol = {"idempotencyKey": key, "cardNumber": card, "email": values["email"] or None,
             "phone": values["phone"] or None}  # fmt: skip
    payload, refused = await _posted(request, pages, viewer, "enrol", "shop/till_enrol", {"input": enrol}, values, key)
    if refused is not None:
        return refused
    assert payload is not None
    return await _draw(
        request, pages, viewer, result={"kind": "enrol", "card": payload["member"]["cardNumber"], **payload}
    )


ROUTES = [till_page, till_earn, till_redeem, till_use_coupon, till_enrol]
