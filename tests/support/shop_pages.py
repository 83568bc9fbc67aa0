"""The shop's portal pages in tests: a shop with its staff signed in, each
person a browser of their own (an httpx client of the app with their
session cookie), and reading what a page's forms carry."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

import httpx
from redis.asyncio import Redis

from coalition.platform.staff.rules import StaffRole
from tests.support.town import Town
from tests.support.web_sessions import add_staff_person, form_token, sign_in_staff


def browser_like(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """A client of the same app with cookies of its own."""
    return httpx.AsyncClient(transport=client._transport, base_url=str(client.base_url))


@asynccontextmanager
async def staff_browser(
    town: Town, client: httpx.AsyncClient, redis: Redis, role: StaffRole, partner_id: uuid.UUID | None,
    language: str = "en",
) -> AsyncIterator[httpx.AsyncClient]:  # fmt: skip
    """A browser signed in as a new staff person holding ``role`` (in ``partner_id``'s shop)."""
    person = await add_staff_person(
        town.engine, coalition_id=town.coalition_id, role=role, partner_id=partner_id, language=language
    )
    async with browser_like(client) as browser:
        await sign_in_staff(
            browser, redis, person_id=person, coalition_id=town.coalition_id, role=role, partner_id=partner_id
        )
        yield browser


@dataclass
class ShopStaff:
    """A bakery's owner, manager and cashier, another shop's owner and a
    visitor with no session, each a browser of their own."""

    town: Town
    shop: uuid.UUID
    owner: httpx.AsyncClient
    manager: httpx.AsyncClient
    cashier: httpx.AsyncClient
    other_owner: httpx.AsyncClient
    nobody: httpx.AsyncClient


@asynccontextmanager
async def shop_with_staff(town: Town, client: httpx.AsyncClient) -> AsyncIterator[ShopStaff]:
    """A new bakery (and a butcher) in ``town`` with their staff signed in."""
    bakery, _ = await town.partner("Bakery")
    butcher, _ = await town.partner("Butcher")
    redis = client._transport.app.state.services.redis  # type: ignore[attr-defined]
    async with AsyncExitStack() as browsers:
        signed_in = [
            await browsers.enter_async_context(staff_browser(town, client, redis, role, partner))
            for role, partner in [
                (StaffRole.OWNER, bakery), (StaffRole.MANAGER, bakery), (StaffRole.CASHIER, bakery),
                (StaffRole.OWNER, butcher),
            ]
        ]  # fmt: skip
        nobody = await browsers.enter_async_context(browser_like(client))
        yield ShopStaff(town, bakery, *signed_in, nobody)


def hidden_value(page: httpx.Response, form_action: str, name: str) -> str:
    """The value of hidden field ``name`` in the form posting to ``form_action``."""
    form = re.search(rf'<form method="post" action="{re.escape(form_action)}".*?</form>', page.text, re.S)
    assert form is not None, f"no form posting to {form_action}"
    found = re.search(rf'<input type="hidden" name="{re.escape(name)}" value="([^"]*)">', form.group(0))
    assert found is not None, f"no hidden {name} in the form posting to {form_action}"
    return found.group(1)


async def post_form(
    browser: httpx.AsyncClient, page: httpx.Response, action: str, fields: dict[str, str], *, keyed: bool = True
) -> httpx.Response:
    """Send the form of ``page`` posting to ``action`` with ``fields`` filled in,
    as a browser does: with the page's form token and its idempotency key."""
    data = {"_csrf_token": form_token(page), **fields}
    if keyed:
        data.setdefault("idempotencyKey", hidden_value(page, action, "idempotencyKey"))
    return await browser.post(action, data=data)
