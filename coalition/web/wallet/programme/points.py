"""``/wallet/points``: spendable, pending (and when), expiring soon (by
date), and the history with each receipt's explanation and its shop."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Response, get

from coalition.web.documents import DocumentFailed, PageData
from coalition.web.pages import AnyRequest
from coalition.web.viewers import member_viewer
from coalition.web.wallet.programme.common import N_, read, show

PAGE = 20


KINDS = {
    "EARN": N_("Earned"),
    "REDEEM": N_("Spent"),
    "REVERSAL": N_("Taken back"),
    "EXPIRE": N_("Expired"),
    "ADJUST": N_("Corrected"),
    "BONUS": N_("Bonus"),
    "TRANSFER": N_("Transfer"),
    "DONATE": N_("Given to charity"),
}


def by_date(items: list[dict[str, Any]], moment: str, timezone: str) -> list[tuple[date, int]]:
    """Points summed per day (in the coalition's time zone) of ``moment``, soonest first."""
    zone = ZoneInfo(timezone)
    sums: dict[date, int] = defaultdict(int)
    for item in items:
        sums[datetime.fromisoformat(item[moment]).astimezone(zone).date()] += int(item["points"])
    return sorted(sums.items())


@get("/wallet/points", include_in_schema=False)
async def points_page(request: AnyRequest, pages: PageData, after: str | None = None) -> Response[str]:
    viewer = await member_viewer(request)
    status = 200
    try:
        data = await read(request, pages, viewer, "points", {"first": PAGE, "after": after})
    except DocumentFailed:
        if after is None:
            raise
        # A cursor that is not one of ours: the history from its start.
        data, status = await read(request, pages, viewer, "points", {"first": PAGE, "after": None}), 400
    wallet, timezone = data["me"]["wallet"], data["coalition"]["timezone"]
    return show(
        request, viewer, "points", data, status_code=status, wallet=wallet,
        pending=by_date(wallet["pendingPoints"], "availableAt", timezone),
        expiring=by_date(wallet["expiringSoon"], "expiresAt", timezone), kinds=KINDS, bad_cursor=status == 400,
    )  # fmt: skip
