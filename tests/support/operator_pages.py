"""Browsers signed in to the operator's pages, for the pages' tests."""

from __future__ import annotations

import uuid

import httpx
from redis.asyncio import Redis

from coalition.platform.staff.rules import StaffRole
from tests.support.town import Town
from tests.support.web_sessions import add_staff_person, sign_in_staff


def browser_of(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """A browser of its own on the test app: its cookies stay in it."""
    return httpx.AsyncClient(transport=client._transport, base_url=str(client.base_url))


async def signed_in(
    client: httpx.AsyncClient, redis: Redis, town: Town, role: StaffRole, shop: uuid.UUID | None = None
) -> httpx.AsyncClient:
    """A new browser with a live portal session of a person holding ``role`` (in ``shop`` for shop roles)."""
    person = await add_staff_person(town.engine, coalition_id=town.coalition_id, role=role, partner_id=shop)
    browser = browser_of(client)
    await sign_in_staff(browser, redis, person_id=person, coalition_id=town.coalition_id, role=role, partner_id=shop)
    return browser
