"""``/wallet/notices``: points about to expire, a shop that left and what that
means for the points it gave."""

from __future__ import annotations

from litestar import Response, get

from coalition.web.documents import PageData
from coalition.web.pages import AnyRequest
from coalition.web.viewers import member_viewer
from coalition.web.wallet.programme.common import read, show


@get("/wallet/notices", include_in_schema=False)
async def notices_page(request: AnyRequest, pages: PageData) -> Response[str]:
    viewer = await member_viewer(request)
    data = await read(request, pages, viewer, "notices")
    return show(request, viewer, "notices", data, notices=data["me"]["notices"])
