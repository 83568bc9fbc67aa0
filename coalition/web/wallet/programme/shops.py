"""``/wallet/shops``: every active partner with what it offers there (its
rewards, stamp cards and campaigns, each with its kind). No map: nothing is
loaded from outside the app."""

from __future__ import annotations

from typing import Any

from litestar import Response, get

from coalition.web.documents import PageData
from coalition.web.pages import AnyRequest
from coalition.web.viewers import member_viewer
from coalition.web.wallet.programme.common import read, show


def _at(items: list[dict[str, Any]], partner_id: str) -> list[dict[str, Any]]:
    return [item for item in items if (item.get("partner") or {}).get("id") == partner_id]


@get("/wallet/shops", include_in_schema=False)
async def shops_page(request: AnyRequest, pages: PageData) -> Response[str]:
    viewer = await member_viewer(request)
    data = await read(request, pages, viewer, "shops")
    partners = [edge["node"] for edge in data["coalition"]["partners"]["edges"]]
    shops = [
        {
            "name": partner["name"],
            "rewards": _at(data["rewards"], partner["id"]),
            "stamp_cards": _at(data["stampCards"], partner["id"]),
            "campaigns": _at(data["campaigns"], partner["id"]),
        }
        for partner in sorted(partners, key=lambda p: p["name"].casefold())
        if partner["status"] == "ACTIVE"
    ]
    everywhere = [c for c in data["campaigns"] if c.get("partner") is None]
    return show(request, viewer, "shops", data, shops=shops, everywhere=everywhere)
