"""The operator in Chromium at a phone's size: approves a settled day and
makes the payout file, which downloads; each page accessible to axe-core."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from playwright.async_api import Page
from redis.asyncio import Redis

from coalition.platform.runtime.settings import Settings
from coalition.platform.staff import sessions as staff_sessions
from coalition.platform.staff.rules import Grant, StaffRole
from tests.support.browser import assert_accessible, screenshot
from tests.support.operator_pages import B_IBAN, settled_day
from tests.support.town import Town
from tests.support.web_sessions import add_staff_person

pytestmark = pytest.mark.slow


async def test_finance_approves_a_day_and_downloads_the_payout_file(
    town: Town, web_server: str, phone: Page, settings: Settings
) -> None:
    day = (await settled_day(town)).isoformat()
    person = await add_staff_person(town.engine, coalition_id=town.coalition_id, role=StaffRole.OPERATOR_FINANCE)
    assert settings.redis_url
    redis = Redis.from_url(settings.redis_url)
    try:
        session_id = await staff_sessions.open_session(
            redis, person_id=person, coalition_id=town.coalition_id, grant=Grant(StaffRole.OPERATOR_FINANCE),
            now=datetime.now(UTC),
        )  # fmt: skip
    finally:
        await redis.aclose()
    await phone.context.add_cookies([{"name": staff_sessions.COOKIE_NAME, "value": session_id, "url": web_server}])

    await phone.goto(f"{web_server}/portal/operator/settlement")
    await assert_accessible(phone)
    async with phone.expect_navigation():
        await phone.click(f'a[href="/portal/operator/settlement?day={day}"]')
    assert "Settled, waiting for approval" in await phone.inner_text("main")
    async with phone.expect_navigation():
        await phone.get_by_role("button", name="Approve the day").click()
    assert "The day is approved: its figures are final." in await phone.inner_text("main")
    await assert_accessible(phone)
    assert await phone.evaluate("() => document.documentElement.scrollWidth") <= 390
    await screenshot(phone, "operator-settlement")

    await phone.fill("#f-period-start", day)
    await phone.fill("#f-period-end", day)
    async with phone.expect_navigation():
        await phone.get_by_role("button", name="Show the period").click()
    await phone.fill("#f-payout-execution", day)
    async with phone.expect_download() as downloading:
        await phone.get_by_role("button", name="Make the payout file (SEPA)").click()
    download = await downloading.value
    path = await download.path()
    assert path is not None
    content = path.read_bytes()
    assert b"pain.001.001.03" in content
    assert f"<IBAN>{B_IBAN}</IBAN>".encode() in content
