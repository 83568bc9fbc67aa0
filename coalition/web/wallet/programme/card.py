"""``/wallet``: the card as the till scans it (a QR code and the number,
large) with the balance. The service worker keeps the last copy of this page
for when the phone is offline at the counter."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from litestar import Response, get

from coalition.web.documents import PageData
from coalition.web.pages import AnyRequest
from coalition.web.viewers import member_viewer
from coalition.web.wallet.programme.common import read, show


@get("/wallet", include_in_schema=False)
async def card_page(request: AnyRequest, pages: PageData) -> Response[str]:
    viewer = await member_viewer(request)
    data = await read(request, pages, viewer, "card")
    # Money from points as Decimals: what the spendable points buy at any till.
    worth = Decimal(data["me"]["wallet"]["available"]) * Decimal(data["coalition"]["pointValue"]["amount"])
    return show(request, viewer, "card", data, as_of=datetime.now(UTC), worth=worth)
