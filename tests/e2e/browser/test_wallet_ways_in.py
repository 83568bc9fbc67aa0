"""Joining and signing in to the wallet in Chromium at a phone's size: join,
type the code from the mail (read from the outbox), sign out, sign in again
with a new code. axe-core finds nothing serious on any of the pages."""

from __future__ import annotations

import uuid

import pytest
from playwright.async_api import Page

from tests.support.browser import assert_accessible, screenshot
from tests.support.town import Town
from tests.support.wallet import last_code, slug_of

pytestmark = pytest.mark.slow


async def test_join_then_sign_in_with_the_code_from_the_mail(town: Town, web_server: str, phone: Page) -> None:
    slug = await slug_of(town)
    email = f"{uuid.uuid4().hex[:8]}@phone.test"
    await phone.goto(f"{web_server}/wallet/join?coalition={slug}")
    await assert_accessible(phone)
    assert await phone.evaluate("() => document.documentElement.scrollWidth") <= 390
    await screenshot(phone, "wallet-join")
    await phone.fill("#field-email", email)
    await phone.check("#field-terms")
    async with phone.expect_navigation():
        await phone.click("button[type=submit]:has-text('Join')")
    assert await phone.inner_text("h1") == "Check your e-mail"
    await assert_accessible(phone)
    await screenshot(phone, "wallet-code")

    code, _ = await last_code(town, email)
    await phone.fill("#field-code", code)
    async with phone.expect_navigation():
        await phone.click("button[type=submit]:has-text('Sign in')")
    answer = await phone.goto(f"{web_server}/wallet/passkeys")
    assert answer is not None
    assert answer.status == 200
    await assert_accessible(phone)
    await screenshot(phone, "wallet-passkeys")

    async with phone.expect_navigation():
        await phone.click("button:has-text('Sign out')")
    assert "/wallet/sign-in" in phone.url
    await assert_accessible(phone)
    await screenshot(phone, "wallet-sign-in")
    await phone.fill("#field-email", email)
    async with phone.expect_navigation():
        await phone.click("button[type=submit]:has-text('Send me a code')")
    code, _ = await last_code(town, email)
    await phone.fill("#field-code", code)
    async with phone.expect_navigation():
        await phone.click("button[type=submit]:has-text('Sign in')")
    answer = await phone.goto(f"{web_server}/wallet/passkeys")
    assert answer is not None
    assert answer.status == 200
