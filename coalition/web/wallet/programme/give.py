"""``/wallet/give``: points to the coalition's charities (with its match, if
any), to another member when the coalition allows transfers, and the
member's invite code. Moving points away asks for a recent sign-in."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from litestar import Response, get, post
from litestar.response import Redirect

from coalition.web.documents import PageData
from coalition.web.pages import AnyRequest
from coalition.web.viewers import WALLET_SIGN_IN, MemberViewer, member_viewer
from coalition.web.wallet.programme.common import N_, form_key, new_key, points_value, read, refusal, show, text

PATH = "/wallet/give"
JOIN_PATH = "/wallet/join"
CARD = re.compile(r"[A-Za-z0-9-]{4,32}")


async def _give(
    request: AnyRequest, pages: PageData, viewer: MemberViewer, *, errors: dict[str, str] | None = None,
    typed: dict[str, str] | None = None, done: str | None = None, status_code: int = 200,
) -> Response[str]:  # fmt: skip
    data = await read(request, pages, viewer, "give")
    code = data["me"]["referralCode"]
    base = str(request.base_url).rstrip("/")
    invite = f"{base}{JOIN_PATH}?{urlencode({'ref': code})}" if code else None
    return show(
        request, viewer, "give", data, status_code=status_code, errors=errors or {}, typed=typed or {},
        key=new_key(), invite=invite,
        charity_options=[(c["id"], c["name"]) for c in data["charities"]],
        done=done if done in ("donated", "transferred") else None,
    )  # fmt: skip


def _stale(viewer: MemberViewer) -> Redirect | None:
    """Points leave the wallet only after a recent sign-in: else to sign in again, and back here."""
    if viewer.session.is_fresh(datetime.now(UTC)):
        return None
    return Redirect(f"{WALLET_SIGN_IN}?{urlencode({'fresh': '1', 'next': PATH})}", status_code=303)


@get(PATH, include_in_schema=False)
async def give_page(request: AnyRequest, pages: PageData, done: str | None = None) -> Response[str]:
    return await _give(request, pages, await member_viewer(request), done=done)


async def _post(
    request: AnyRequest, pages: PageData, viewer: MemberViewer, document: str, typed: dict[str, str],
    target: dict[str, Any], fields: dict[str, str], limit: int | None = None,
) -> Response[str] | Redirect:  # fmt: skip
    """Posts ``document`` with the points typed in ``fields["points"]``; ``fields`` maps the API's
    field names to the form's, so a refusal is shown by the field it is about."""
    form = await request.form()
    points, problem = points_value(request, form.get(fields["points"]))
    if points is None:
        errors = {fields["points"]: problem or ""}
        return await _give(request, pages, viewer, status_code=400, typed=typed, errors=errors)
    data = await read(
        request, pages, viewer, document, {"input": {**target, "points": points, "idempotencyKey": form_key(form)}}
    )
    answer = next(iter(data.values()))
    if answer["errors"]:
        error = answer["errors"][0]
        if error.get("field"):
            where = fields.get(error["field"][-1], fields["points"])
        else:
            # Refusals naming no field: an unknown card is about the card; the rest (transfers
            # off, the day's limit) about the whole request, shown by the points field.
            where = fields.get(error["code"], fields["points"])
        errors = {where: refusal(request, error, limit if where == fields["points"] and error.get("field") else None)}
        return await _give(request, pages, viewer, status_code=400, typed=typed, errors=errors)
    done = "donated" if document == "donate" else "transferred"
    return Redirect(f"{PATH}?done={done}", status_code=303)


@post(f"{PATH}/donate", include_in_schema=False, status_code=303)
async def donate(request: AnyRequest, pages: PageData) -> Response[str] | Redirect:
    viewer = await member_viewer(request)
    if (again := _stale(viewer)) is not None:
        return again
    form = await request.form()
    charity = str(form.get("charity", "")).strip()
    typed = {"charity": charity[:64], "donate_points": str(form.get("donate_points", ""))[:32]}
    if not charity:
        errors = {"charity": text(request, N_("Choose a charity."))}
        return await _give(request, pages, viewer, status_code=400, typed=typed, errors=errors)
    fields = {"points": "donate_points", "charityId": "charity", "NOT_FOUND": "charity"}
    return await _post(request, pages, viewer, "donate", typed, {"charityId": charity}, fields)


@post(f"{PATH}/transfer", include_in_schema=False, status_code=303)
async def transfer(request: AnyRequest, pages: PageData) -> Response[str] | Redirect:
    viewer = await member_viewer(request)
    if (again := _stale(viewer)) is not None:
        return again
    form = await request.form()
    card = str(form.get("card", "")).strip().replace(" ", "")
    typed = {"card": card[:64], "transfer_points": str(form.get("transfer_points", ""))[:32]}
    if not CARD.fullmatch(card):
        errors = {"card": text(request, N_("Enter the other member's card number."))}
        return await _give(request, pages, viewer, status_code=400, typed=typed, errors=errors)
    limit = (await read(request, pages, viewer, "give"))["coalitionRules"]["transfers"]["maxPointsPerTransfer"]
    fields = {"points": "transfer_points", "toCardNumber": "card", "NOT_FOUND": "card", "VALIDATION": "card"}
    return await _post(request, pages, viewer, "transfer", typed, {"toCardNumber": card}, fields, limit)
