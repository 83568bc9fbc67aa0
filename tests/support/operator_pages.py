"""Browsers signed in to the operator's pages, for the pages' tests."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import httpx
from redis.asyncio import Redis

from coalition.platform.staff.rules import StaffRole
from coalition.settlement import service as settlement
from coalition.settlement.rules import FundingModel
from tests.support.time_passing import business_date_now
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


B_IBAN = "BE68539007547034"
PAYER_IBAN = "NL91ABNA0417164300"


async def settled_day(town: Town) -> date:
    """A's member spends 40 of A's points at B (whose IBAN is on file); the
    day is settled as if after midnight and waits for approval; the coalition
    pays out from its own account."""
    a, _ = await town.partner("A", "1")
    b, _ = await town.partner("B", "1", iban=B_IBAN)
    _, card = await town.member(a)
    await town.earn(a, card, "100")
    await town.redeem(b, card, 40)
    day = await business_date_now(town)
    async with town.sessions.begin() as session:
        await settlement.set_policy(
            session, town.operator,
            settlement.PolicySpec(FundingModel.AT_REDEMPTION, payer_name="Town Association", payer_iban=PAYER_IBAN),
        )  # fmt: skip
        await settlement.run_day(session, town.coalition_id, day, now=datetime.now(UTC) + timedelta(days=1))
    return day
