"""A shop owner signs in to the portal in Chromium at a phone's size: the
invitation page with its QR code, then e-mail and password, then the
authenticator's code, every page axe-core clean and as wide as the phone."""

from __future__ import annotations

import pyotp
import pytest
from playwright.async_api import Page

from coalition.platform.staff.rules import Grant, StaffRole
from tests.support.browser import assert_accessible, screenshot
from tests.support.portal import PASSWORD, invite, set_up, slug_of
from tests.support.town import Town

pytestmark = pytest.mark.slow


async def _checked(page: Page, name: str) -> None:
    await assert_accessible(page)
    assert await page.evaluate("() => document.documentElement.scrollWidth") <= 390
    await screenshot(page, name)


async def test_an_owner_signs_in_with_password_and_authenticator_code_on_a_phone(
    town: Town, web_server: str, phone: Page
) -> None:
    shop, _ = await town.partner("Bakkerij de Korenbloem")
    _, token = await invite(town, Grant(StaffRole.OWNER, shop))
    answer = await phone.goto(f"{web_server}/portal/invitation/{token}")
    assert answer is not None
    assert answer.status == 200
    assert await phone.locator(".qr svg").is_visible()
    await _checked(phone, "portal-invitation")

    owner = await set_up(town, Grant(StaffRole.OWNER, shop))
    await phone.goto(f"{web_server}/portal/sign-in?next=/portal/keys")
    await _checked(phone, "portal-sign-in")
    await phone.get_by_label("Coalition").fill(await slug_of(town))
    await phone.get_by_label("E-mail address", exact=True).fill(owner.email)
    await phone.get_by_label("Password").fill(PASSWORD)
    async with phone.expect_navigation():
        await phone.get_by_role("button", name="Sign in").first.click()
    assert phone.url.endswith("/portal/sign-in/code")
    await _checked(phone, "portal-sign-in-code")
    assert owner.totp_secret is not None
    await phone.get_by_label("Code from your authenticator app, or a recovery code").fill(
        pyotp.TOTP(owner.totp_secret).now()
    )
    async with phone.expect_navigation():
        await phone.keyboard.press("Enter")
    assert phone.url == f"{web_server}/portal/keys"
    assert await phone.get_by_role("heading", name="API keys", level=1).is_visible()
    await _checked(phone, "portal-keys")
