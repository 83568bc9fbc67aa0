"""An owner, on a phone, creates a campaign aimed at a segment with a holdout
on the programme pages, and finds it on the coalition's public terms page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.async_api import Page
from redis.asyncio import Redis
from sqlalchemy import text

from coalition.platform.runtime.settings import Settings
from coalition.platform.staff import sessions as staff_sessions
from coalition.platform.staff.rules import Grant, StaffRole
from tests.support.browser import assert_accessible, screenshot
from tests.support.town import Town
from tests.support.web_sessions import add_staff_person

pytestmark = pytest.mark.slow


async def test_an_owner_creates_a_campaign_and_sees_it_on_the_terms_page(
    town: Town, settings: Settings, web_server: str, phone: Page
) -> None:
    shop, _ = await town.partner("Bakkerij de Korenbloem")
    owner = await add_staff_person(town.engine, coalition_id=town.coalition_id, role=StaffRole.OWNER, partner_id=shop)
    assert settings.redis_url is not None
    redis = Redis.from_url(settings.redis_url)
    try:
        session_id = await staff_sessions.open_session(
            redis, person_id=owner, coalition_id=town.coalition_id, grant=Grant(StaffRole.OWNER, shop),
            now=datetime.now(UTC),
        )  # fmt: skip
    finally:
        await redis.aclose()
    await phone.context.add_cookies([{"name": staff_sessions.COOKIE_NAME, "value": session_id, "url": web_server}])

    await phone.goto(f"{web_server}/portal/shop/programme/campaigns")
    await assert_accessible(phone)
    starts = datetime.now(UTC) - timedelta(hours=1)
    await phone.get_by_label("Name", exact=True).fill("Autumn wake-up")
    await phone.get_by_label("What it gives").select_option("FIXED_BONUS")
    await phone.get_by_label("Bonus points").fill("25")
    await phone.get_by_label("Minimum spend (EUR)").fill("10")
    await phone.get_by_label("Starts").fill(starts.astimezone().strftime("%Y-%m-%dT%H:%M"))
    await phone.get_by_label("Ends").fill((starts + timedelta(days=14)).strftime("%Y-%m-%dT%H:%M"))
    await phone.get_by_label("Aimed at").select_option("Hibernating")
    await phone.get_by_label("Holdout: percentage").fill("10")
    async with phone.expect_navigation():
        await phone.get_by_role("button", name="Create the campaign").click()
    assert "/portal/shop/programme/campaigns/" in phone.url
    assert await phone.get_by_role("heading", name="Autumn wake-up").is_visible()
    await assert_accessible(phone)
    assert await phone.evaluate("() => document.documentElement.scrollWidth") <= 390
    await screenshot(phone, "shop-programme-campaign")

    async with town.engine.connect() as c:
        slug = (await c.execute(text("SELECT slug FROM coalitions WHERE id = :i"), {"i": town.coalition_id})).scalar()
    await phone.goto(f"{web_server}/terms/{slug}")
    promised = phone.get_by_text("Autumn wake-up")
    assert await promised.count() >= 1
    assert "For selected members only." in (await promised.first.text_content() or "")
