"""``/wallet/rewards``: every shop's catalogue, buying a reward (a coupon
with a QR code), the member's coupons; ``/wallet/rewards/coupons/<code>``
shows one of them. Only the member's own coupons are found: another
member's code answers as if there were none."""

from __future__ import annotations

from typing import Any

from litestar import Response, get, post
from litestar.response import Redirect

from coalition.web.documents import PageData
from coalition.web.pages import AnyRequest
from coalition.web.viewers import MemberViewer, member_viewer
from coalition.web.wallet.programme.common import N_, form_key, new_key, read, refusal, show, text

COUPON_PATH = "/wallet/rewards/coupons/"


async def _rewards(
    request: AnyRequest, pages: PageData, viewer: MemberViewer, *, errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response[str]:  # fmt: skip
    data = await read(request, pages, viewer, "rewards")
    coupons = data["me"]["coupons"]
    return show(
        request, viewer, "rewards", data, status_code=status_code, errors=errors or {}, key=new_key(),
        valid=[c for c in coupons if c["status"] == "ISSUED"], used=[c for c in coupons if c["status"] == "USED"],
        expired=[c for c in coupons if c["status"] == "EXPIRED"],
    )  # fmt: skip


@get("/wallet/rewards", include_in_schema=False)
async def rewards_page(request: AnyRequest, pages: PageData) -> Response[str]:
    return await _rewards(request, pages, await member_viewer(request))


@post("/wallet/rewards/buy", include_in_schema=False, status_code=303)
async def buy_reward(request: AnyRequest, pages: PageData) -> Response[str] | Redirect:
    viewer = await member_viewer(request)
    form = await request.form()
    reward_id = str(form.get("reward", "")).strip()
    if not reward_id:
        return await _rewards(
            request, pages, viewer, status_code=400, errors={"": text(request, N_("Choose a reward."))}
        )
    data = await read(
        request, pages, viewer, "buy_reward", {"input": {"rewardId": reward_id, "idempotencyKey": form_key(form)}}
    )
    answer: dict[str, Any] = data["buyReward"]
    if answer["errors"]:
        return await _rewards(
            request, pages, viewer, status_code=400, errors={reward_id: refusal(request, answer["errors"][0])}
        )
    return Redirect(COUPON_PATH + answer["coupon"]["code"], status_code=303)


@get("/wallet/rewards/coupons/{code:str}", include_in_schema=False)
async def coupon_page(request: AnyRequest, pages: PageData, code: str) -> Response[str]:
    viewer = await member_viewer(request)
    data = await read(request, pages, viewer, "coupon")
    found = [c for c in data["me"]["coupons"] if c["code"] == code.strip().upper()]
    if not found:
        return show(request, viewer, "no_coupon", data, status_code=404)
    return show(request, viewer, "coupon", data, coupon=found[0])
