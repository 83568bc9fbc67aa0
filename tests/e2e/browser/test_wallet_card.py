"""The wallet in Chromium at a phone's size, signed in as a member: the
card, buying a reward and showing its coupon, every other page accessible;
then the card page and its QR code again with the browser offline, from the
service worker's copy."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from playwright.async_api import Page
from redis.asyncio import Redis

from coalition.platform.members import sessions as member_sessions
from coalition.platform.runtime.settings import Settings
from tests.support.browser import assert_accessible, screenshot
from tests.support.graphql import GraphQL
from tests.support.town import Town
from tests.support.wallet_town import wallet_town

pytestmark = pytest.mark.slow


@pytest.fixture
async def redis(settings: Settings) -> AsyncIterator[Redis]:
    assert settings.redis_url
    client = Redis.from_url(settings.redis_url)
    yield client
    await client.aclose()


async def test_the_card_a_reward_its_coupon_and_the_card_offline(
    town: Town, gql: GraphQL, redis: Redis, web_server: str, phone: Page
) -> None:
    place = await wallet_town(town, gql)
    session_id = await member_sessions.open_session(
        redis, member_id=place.member_a, coalition_id=town.coalition_id, now=datetime.now(UTC)
    )
    host = web_server.split("//", 1)[1].split(":", 1)[0]
    await phone.context.add_cookies(
        [{"name": member_sessions.COOKIE_NAME, "value": session_id, "domain": host, "path": "/wallet"}]
    )
    fetched: list[str] = []
    phone.on("request", lambda request: fetched.append(request.url))

    answer = await phone.goto(f"{web_server}/wallet")
    assert answer is not None
    assert answer.status == 200
    assert await phone.inner_text(".wallet-card__number") == place.card_a
    assert await phone.locator(".wallet-qr__code svg").first.is_visible()
    assert "1,220" in await phone.inner_text(".wallet-balance")
    await assert_accessible(phone)
    assert await phone.evaluate("() => document.documentElement.scrollWidth") <= 390
    await screenshot(phone, "wallet-card")
    # The service worker is in charge of the page (it claims it as it starts) and has kept the card.
    await phone.wait_for_function("() => navigator.serviceWorker.controller !== null")

    await phone.goto(f"{web_server}/wallet/rewards")
    await assert_accessible(phone)
    await screenshot(phone, "wallet-rewards")
    async with phone.expect_navigation(url=f"{web_server}/wallet/rewards/coupons/**"):
        await phone.get_by_role("button", name="Buy").first.click()
    assert await phone.locator(".wallet-qr__code svg").first.is_visible()
    assert (await phone.inner_text(".wallet-card__number")).startswith("CPN-")
    assert await phone.inner_text("h1") == "Free coffee"
    await assert_accessible(phone)
    await screenshot(phone, "wallet-coupon")
    assert [url for url in fetched if not url.startswith(web_server)] == []  # no tiles, fonts or scripts from elsewhere

    for page in ("points", "progress", "shops", "give", "notices"):
        await phone.goto(f"{web_server}/wallet/{page}")
        await assert_accessible(phone)
        assert await phone.evaluate("() => document.documentElement.scrollWidth") <= 390
        await screenshot(phone, f"wallet-{page}")

    await phone.goto(f"{web_server}/wallet")  # online again: the worker keeps this newer copy
    assert "1,170" in await phone.inner_text(".wallet-balance")

    await phone.context.set_offline(True)
    try:
        await phone.goto(f"{web_server}/wallet")
        assert await phone.inner_text(".wallet-card__number") == place.card_a
        assert await phone.locator(".wallet-qr__code svg").first.is_visible()
        assert "1,170" in await phone.inner_text(".wallet-balance")  # the last balance seen, after the coffee
        await screenshot(phone, "wallet-card-offline")
    finally:
        await phone.context.set_offline(False)
