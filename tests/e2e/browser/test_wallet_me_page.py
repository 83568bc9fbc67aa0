"""The wallet's Me page in Chromium at a phone's size: a member downloads
their data, deletes their account after reading what happens to their
points, is signed out, and the ledger still verifies. axe-core finds nothing
serious on any of the three pages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.async_api import Page
from redis.asyncio import Redis

from coalition.platform.members import sessions
from coalition.platform.runtime.settings import Settings
from tests.support.browser import assert_accessible, screenshot
from tests.support.personal_data import add_person, members_rows, now
from tests.support.town import Town

pytestmark = pytest.mark.slow


async def test_a_member_downloads_their_data_then_deletes_their_account(
    town: Town, settings: Settings, web_server: str, phone: Page, tmp_path: Path
) -> None:
    shop, _ = await town.partner("Bakkerij de Korenbloem", "1")
    anna = await add_person(town, shop, "anna", phone="+31614000001")
    redis = Redis.from_url(settings.redis_url or "")
    try:
        session_id = await sessions.open_session(redis, member_id=anna.member_id, coalition_id=town.coalition_id,
                                                 now=now())  # fmt: skip
    finally:
        await redis.aclose()
    await phone.context.add_cookies(
        [{"name": sessions.COOKIE_NAME, "value": session_id, "url": f"{web_server}{sessions.COOKIE_PATH}"}]
    )

    answer = await phone.goto(f"{web_server}/wallet/me")
    assert answer is not None
    assert answer.status == 200
    assert await phone.get_attribute("html", "lang") == "nl"  # her own setting
    assert await phone.input_value("#field-email") == anna.email
    await assert_accessible(phone)
    assert await phone.evaluate("() => document.documentElement.scrollWidth") <= 390
    await screenshot(phone, "wallet-me")

    async with phone.expect_download() as downloading:
        await phone.click("text=Mijn gegevens downloaden")
    download = await downloading.value
    assert download.suggested_filename == "my-data.json"
    saved = tmp_path / "my-data.json"
    await download.save_as(saved)
    mine = json.loads(saved.read_text())
    assert mine["member"]["cardNumber"] == anna.card
    assert anna.sku in json.dumps(mine["tables"]["purchase_lines"])

    await phone.click("a[href='/wallet/me/delete']")
    assert "niemand kan ze nog besteden" in await phone.inner_text("main")
    await assert_accessible(phone)
    await screenshot(phone, "wallet-me-delete")
    await phone.check("#field-confirm")
    await phone.click("button.me-danger")
    await phone.wait_for_url(f"{web_server}/wallet/me/deleted?lang=nl")
    assert await phone.inner_text("h1") == "Je account is verwijderd"
    await assert_accessible(phone)
    await screenshot(phone, "wallet-me-deleted")
    # Signed out: the wallet asks who you are again.
    await phone.goto(f"{web_server}/wallet/me")
    assert "/wallet/sign-in" in phone.url
    after = await members_rows(town.engine, anna.member_id, anna.email)
    assert after["members"][0]["status"] == "ERASED"
    assert await town.ledger_violations() == []
