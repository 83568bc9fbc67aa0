"""``/wallet/progress``: the member's tier and its benefits, stamp cards and
the cross-shop challenges running now."""

from __future__ import annotations

from litestar import Response, get

from coalition.web.documents import PageData
from coalition.web.pages import AnyRequest
from coalition.web.viewers import member_viewer
from coalition.web.wallet.programme.common import read, show


@get("/wallet/progress", include_in_schema=False)
async def progress_page(request: AnyRequest, pages: PageData) -> Response[str]:
    viewer = await member_viewer(request)
    data = await read(request, pages, viewer, "progress")
    return show(request, viewer, "progress", data)
