"""The shop's pages in Chromium at a phone's size: a cashier gives points by
typing a card, and by scanning a QR card through Chromium's fake camera (a
clip made here from the card's QR code); an owner downloads a day's
statement. Each page accessible to axe-core, with a screenshot kept."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import segno
from playwright.async_api import Browser, BrowserContext, Page, async_playwright
from redis.asyncio import Redis
from sqlalchemy import text

from coalition.platform.runtime.settings import Settings
from coalition.platform.staff import sessions as staff_sessions
from coalition.platform.staff.rules import Grant, StaffRole
from coalition.settlement import service as settlement
from tests.support.browser import CHROMIUM_FLAGS, PHONE, assert_accessible, chromium, screenshot
from tests.support.town import Town
from tests.support.web_sessions import add_staff_person

pytestmark = pytest.mark.slow


def qr_clip(content: str, path: Path, *, side: int = 480, frames: int = 5) -> Path:
    """A Y4M clip (what Chromium's fake camera plays) of a QR code holding ``content``."""
    matrix = segno.make_qr(content, error="m").matrix
    border = 4
    scale = side // (len(matrix) + 2 * border)
    offset = (side - len(matrix) * scale) // 2
    luma = bytearray(b"\xff" * side * side)  # white paper
    for row, modules in enumerate(matrix):
        for column, dark in enumerate(modules):
            if dark:
                for y in range(offset + row * scale, offset + (row + 1) * scale):
                    start = y * side + offset + column * scale
                    luma[start : start + scale] = b"\x00" * scale
    chroma = b"\x80" * (side // 2) * (side // 2)
    with path.open("wb") as clip:
        clip.write(f"YUV4MPEG2 W{side} H{side} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            clip.write(b"FRAME\n" + bytes(luma) + chroma + chroma)
    return path


async def _signed_in(
    context: BrowserContext, town: Town, settings: Settings, base: str, role: StaffRole, partner_id: uuid.UUID
) -> None:
    person = await add_staff_person(town.engine, coalition_id=town.coalition_id, role=role, partner_id=partner_id)
    redis = Redis.from_url(str(settings.redis_url))
    try:
        session_id = await staff_sessions.open_session(
            redis, person_id=person, coalition_id=town.coalition_id, grant=Grant(role, partner_id),
            now=datetime.now(UTC),
        )  # fmt: skip
    finally:
        await redis.aclose()
    await context.add_cookies([{"name": staff_sessions.COOKIE_NAME, "value": session_id, "url": base}])


async def _phone(browser: Browser) -> BrowserContext:
    return await browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)


async def _give_points(page: Page, amount: str) -> str:
    await page.fill("#earn-amount", amount)
    async with page.expect_navigation():
        await page.click("#till-earn-title ~ form button[type=submit]")
    return await page.inner_text(".till-result h2")


async def test_a_cashier_on_a_phone_gives_points_by_typing_the_card(
    town: Town, settings: Settings, web_server: str, browser: Browser
) -> None:
    shop, _ = await town.partner("Bakkerij", "1")
    _, card = await town.member(shop)
    context = await _phone(browser)
    try:
        await _signed_in(context, town, settings, web_server, StaffRole.CASHIER, shop)
        page = await context.new_page()
        await page.goto(f"{web_server}/portal/shop/till")
        await assert_accessible(page)
        assert await page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
        await screenshot(page, "shop-till")
        await page.fill("#earn-cardNumber", card)
        assert await _give_points(page, "12.00") == f"12 points given to card {card}"
        assert "Base rate 1 per 1 EUR on 12.00 EUR: 12 points" in await page.inner_text(".explanation")
        await assert_accessible(page)
        await screenshot(page, "shop-till-points-given")
        # Sent again after a hiccup (the browser's reload of the POST): still one posting.
        async with page.expect_navigation():
            await page.reload()
        assert await page.inner_text(".till-result h2") == f"12 points given to card {card}"
        async with town.engine.connect() as c:
            earned = await c.execute(text("SELECT count(*) FROM ledger_transactions t JOIN members m ON "
                                          "m.id = t.member_id WHERE m.card_number = :c AND t.kind = 'EARN'"),
                                     {"c": card})  # fmt: skip
            assert earned.scalar_one() == 1
    finally:
        await context.close()


async def test_a_cashier_gives_points_by_scanning_the_qr_card_with_the_camera(
    town: Town, settings: Settings, web_server: str, tmp_path: Path
) -> None:
    shop, _ = await town.partner("Bakkerij", "1")
    _, card = await town.member(shop)
    clip = qr_clip(card, tmp_path / "card.y4m")
    camera = [
        "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={clip}",
    ]  # fmt: skip
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(chromium()), args=[*CHROMIUM_FLAGS, *camera])
        try:
            context = await _phone(browser)
            await _signed_in(context, town, settings, web_server, StaffRole.CASHIER, shop)
            page = await context.new_page()
            await page.goto(f"{web_server}/portal/shop/till")
            await page.click("#scan-card")  # shown only where a camera and the decoder are there
            await page.wait_for_function(
                "card => document.getElementById('earn-cardNumber').value === card", arg=card, timeout=20_000
            )
            assert await page.input_value("#lookup-card") == card
            assert card in await page.inner_text("#scanner-status")
            await screenshot(page, "shop-till-scanned")
            assert await _give_points(page, "7.00") == f"7 points given to card {card}"
            await assert_accessible(page)
        finally:
            await browser.close()


async def test_an_owner_downloads_a_days_statement(
    town: Town, settings: Settings, web_server: str, browser: Browser
) -> None:
    shop, _ = await town.partner("Bakkerij", "1")
    _, card = await town.member(shop)
    earned = await town.earn(shop, card, "40")
    async with town.engine.connect() as c:
        found = await c.execute(
            text("SELECT business_date FROM ledger_transactions WHERE id = :t"), {"t": earned.transaction_id}
        )
        day = found.scalar_one()
    async with town.sessions.begin() as session:
        await settlement.run_day(session, town.coalition_id, day, now=datetime.now(UTC) + timedelta(days=1))
        await settlement.approve(session, town.operator, day)
    context = await _phone(browser)
    try:
        await _signed_in(context, town, settings, web_server, StaffRole.OWNER, shop)
        page = await context.new_page()
        await page.goto(f"{web_server}/portal/shop/statements")
        await assert_accessible(page)
        await screenshot(page, "shop-statements")
        async with page.expect_download() as waiting:
            await page.click(f"a[href='/portal/shop/statements/{day.isoformat()}/pdf']")
        download = await waiting.value
        assert download.suggested_filename == f"statement-{day.isoformat()}-Bakkerij.pdf"
        saved = await download.path()
        assert (await asyncio.to_thread(Path(saved).read_bytes)).startswith(b"%PDF")
    finally:
        await context.close()
