"""``/portal/shop/programme/stamp-cards``: the shop's stamp cards, a new one,
and retiring one (no more stamps are given on it)."""

from __future__ import annotations

from typing import Any

from litestar import Response, get, post
from litestar.exceptions import NotFoundException
from litestar.response import Redirect

from coalition.web.documents import PageData
from coalition.web.pages import AnyRequest
from coalition.web.shop.programme.forms import PROGRAMME, Form, fetch, manager, page
from coalition.web.viewers import StaffViewer

CARDS = f"{PROGRAMME}/stamp-cards"


async def _list(request: AnyRequest, viewer: StaffViewer, pages: PageData, form: Form | None = None) -> Response[str]:
    data = await fetch(request, viewer, pages, "stamp_cards")
    return page(request, viewer, "stamp_cards.html", data=data, form=form, values=dict(form.values) if form else {})


@get(CARDS, include_in_schema=False)
async def stamp_cards_page(request: AnyRequest, pages: PageData) -> Response[str]:
    return await _list(request, await manager(request), pages)


@post(CARDS, include_in_schema=False)
async def create_stamp_card(request: AnyRequest, pages: PageData) -> Response[Any]:
    viewer = await manager(request)
    form = await Form.of(request)
    given = {
        "name": form.text("name", required=True) or "",
        "stampsRequired": form.integer("stampsRequired", required=True),
        "rewardId": form.text("rewardId", required=True),
        "categories": [c.strip() for c in (form.text("categories") or "").split(",") if c.strip()],
        "minSpend": form.decimal("minSpend") or "0",
    }
    if not form.errors:
        answer = (await fetch(request, viewer, pages, "create_stamp_card", {"input": given}))["createStampCard"]
        form.refused(answer["errors"], "name")
    if form.errors:
        return await _list(request, viewer, pages, form)
    return Redirect(CARDS, status_code=303)


@post(f"{CARDS}/{{card_id:str}}/retire", include_in_schema=False)
async def retire_stamp_card(request: AnyRequest, pages: PageData, card_id: str) -> Response[Any]:
    viewer = await manager(request)
    cards = (await fetch(request, viewer, pages, "stamp_cards"))["stampCards"]
    if card_id not in {card["id"] for card in cards}:
        raise NotFoundException()
    answer = (await fetch(request, viewer, pages, "retire_stamp_card", {"id": card_id}))["retireStampCard"]
    if answer["errors"]:
        raise NotFoundException()
    return Redirect(CARDS, status_code=303)
