"""``/portal/shop/programme/rewards``: the shop's rewards catalogue, a new
reward, and withdrawing one (no more coupons are sold for it)."""

from __future__ import annotations

from typing import Any

from litestar import Response, get, post
from litestar.exceptions import NotFoundException
from litestar.response import Redirect

from coalition.web.documents import PageData
from coalition.web.pages import AnyRequest
from coalition.web.shop.programme.forms import N_, PROGRAMME, Form, fetch, manager, page
from coalition.web.viewers import StaffViewer

REWARDS = f"{PROGRAMME}/rewards"
KINDS = (
    ("FREE_PRODUCT", N_("A free product")),
    ("FIXED_DISCOUNT", N_("Money off")),
    ("PERCENT_DISCOUNT", N_("A percentage off")),
)


def _own(data: dict[str, Any], viewer: StaffViewer) -> list[dict[str, Any]]:
    return [r for r in data["rewards"] if r["partner"] and r["partner"]["id"] == str(viewer.partner_id)]


async def _list(request: AnyRequest, viewer: StaffViewer, pages: PageData, form: Form | None = None) -> Response[str]:
    data = await fetch(request, viewer, pages, "rewards")
    return page(
        request, viewer, "rewards.html", data=data, rewards=_own(data, viewer), kinds=KINDS, form=form,
        values=dict(form.values) if form else {"kind": "FREE_PRODUCT", "validDays": "30"},
    )  # fmt: skip


@get(REWARDS, include_in_schema=False)
async def rewards_page(request: AnyRequest, pages: PageData) -> Response[str]:
    return await _list(request, await manager(request), pages)


@post(REWARDS, include_in_schema=False)
async def create_reward(request: AnyRequest, pages: PageData) -> Response[Any]:
    viewer = await manager(request)
    form = await Form.of(request)
    kind = form.text("kind", required=True) or ""
    if kind not in {k for k, _ in KINDS}:
        form.errors["kind"] = N_("Choose what the reward is")
    given = {
        "name": form.text("name", required=True) or "",
        "kind": kind,
        "validDays": form.integer("validDays", required=True),
        "pointsCost": form.integer("pointsCost"),
        "value": form.decimal("value", required=kind != "FREE_PRODUCT"),
    }
    if not form.errors:
        answer = (await fetch(request, viewer, pages, "create_reward", {"input": given}))["createReward"]
        form.refused(answer["errors"], "name")
    if form.errors:
        return await _list(request, viewer, pages, form)
    return Redirect(REWARDS, status_code=303)


@post(f"{REWARDS}/{{reward_id:str}}/withdraw", include_in_schema=False)
async def withdraw_reward(request: AnyRequest, pages: PageData, reward_id: str) -> Response[Any]:
    viewer = await manager(request)
    found = [r for r in _own(await fetch(request, viewer, pages, "rewards"), viewer) if r["id"] == reward_id]
    if not found:
        raise NotFoundException()
    reward = found[0]
    given = {
        "name": reward["name"], "kind": reward["kind"], "validDays": reward["validDays"],
        "pointsCost": reward["pointsCost"], "value": reward["value"], "active": False,
    }  # fmt: skip
    await fetch(request, viewer, pages, "update_reward", {"id": reward_id, "input": given})
    return Redirect(REWARDS, status_code=303)
