"""A passkey made and used by Chromium itself (a virtual authenticator
through DevTools), through the wallet's own script: added on the passkeys
page, then signing in from the sign-in page. The server is reached as
``localhost``, whose pages browsers let make passkeys over plain HTTP."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from playwright.async_api import Browser
from redis.asyncio import Redis

from coalition.platform.members import sessions
from coalition.platform.runtime.settings import Settings
from tests.support.browser import PHONE, assert_accessible, screenshot
from tests.support.served import free_port, served_api
from tests.support.town import Town
from tests.support.wallet import member_with_email, slug_of

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def localhost_server(settings: Settings) -> Iterator[str]:
    port = free_port()
    with served_api(settings, port=port, COALITION_PUBLIC_URL=f"http://localhost:{port}"):
        yield f"http://localhost:{port}"


async def test_a_passkey_added_in_chromium_signs_in(
    town: Town, settings: Settings, localhost_server: str, browser: Browser
) -> None:
    member_id, _ = await member_with_email(town)
    slug = await slug_of(town)
    assert settings.redis_url
    redis = Redis.from_url(settings.redis_url)
    session_id = await sessions.open_session(
        redis, member_id=member_id, coalition_id=town.coalition_id, now=datetime.now(UTC)
    )
    await redis.aclose()
    context = await browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    try:
        page = await context.new_page()
        devtools = await context.new_cdp_session(page)
        await devtools.send("WebAuthn.enable")
        await devtools.send(
            "WebAuthn.addVirtualAuthenticator",
            {"options": {"protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
                         "hasUserVerification": True, "isUserVerified": True,
                         "automaticPresenceSimulation": True}},
        )  # fmt: skip
        await context.add_cookies([{"name": sessions.COOKIE_NAME, "value": session_id, "url": localhost_server}])
        await page.goto(f"{localhost_server}/wallet/passkeys")
        name = f"Phone {uuid.uuid4().hex[:4]}"
        await page.fill("#field-passkey_name", name)
        async with page.expect_navigation(url=f"{localhost_server}/wallet/passkeys"):
            await page.click("button[data-passkey-action=add]")
        assert name in await page.inner_text(".wallet-passkeys")
        await assert_accessible(page)
        await screenshot(page, "wallet-passkeys-listed")

        await context.clear_cookies()
        await page.goto(f"{localhost_server}/wallet/sign-in?coalition={slug}&next=/wallet/passkeys")
        async with page.expect_navigation(url=f"{localhost_server}/wallet/passkeys"):
            await page.click("button[data-passkey-action=sign-in]")
        assert name in await page.inner_text(".wallet-passkeys")
    finally:
        await context.close()
