"""The public terms page in Chromium at a phone's size, in every language:
accessible to axe-core, usable from the keyboard, and its language chooser
works as a visitor uses it."""

from __future__ import annotations

import pytest
from playwright.async_api import Page
from sqlalchemy import text

from coalition.platform.programme.rules import LANGUAGES
from tests.support.browser import assert_accessible, screenshot
from tests.support.town import Town

pytestmark = pytest.mark.slow


async def _terms_url(town: Town, base: str) -> str:
    async with town.engine.connect() as c:
        slug = (await c.execute(text("SELECT slug FROM coalitions WHERE id = :i"), {"i": town.coalition_id})).scalar()
    return f"{base}/terms/{slug}"


async def _tab_to(page: Page, element_id: str, most: int = 15) -> list[str]:
    """Press Tab until ``element_id`` has the focus; what took the focus on the way."""
    visited = []
    for _ in range(most):
        await page.keyboard.press("Tab")
        focused = await page.evaluate("() => document.activeElement.id || document.activeElement.className")
        visited.append(focused)
        if focused == element_id:
            return visited
    raise AssertionError(f"{element_id} never took the focus; the focus went to {visited}")


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_terms_page_on_a_phone_in_each_language(
    town: Town, web_server: str, phone: Page, language: str
) -> None:
    await town.partner("Bakkerij de Korenbloem", "1.5")
    await town.partner("Boekhandel", "2")
    fetched: list[str] = []
    phone.on("request", lambda request: fetched.append(request.url))
    answer = await phone.goto(f"{await _terms_url(town, web_server)}?lang={language}")
    assert answer is not None
    assert answer.status == 200
    assert await phone.get_attribute("html", "lang") == language
    await assert_accessible(phone)
    # Nothing is wider than the phone: no sideways scrolling.
    assert await phone.evaluate("() => document.documentElement.scrollWidth") <= 390
    await screenshot(phone, f"terms-{language}")
    assert await phone.evaluate("() => htmx.version") == "2.0.11"  # the vendored copy, loaded
    assert [url for url in fetched if not url.startswith(web_server)] == []  # nothing from elsewhere

    visited = await _tab_to(phone, "field-language")
    assert visited[0] == "skip-link"  # the first stop skips the header
    assert await phone.evaluate("() => getComputedStyle(document.activeElement).outlineStyle") == "solid"


async def test_a_visitor_changes_language_with_the_keyboard_and_the_choice_stays(
    town: Town, web_server: str, phone: Page
) -> None:
    url = await _terms_url(town, web_server)
    await phone.goto(url)
    assert await phone.get_attribute("html", "lang") == "en"
    await _tab_to(phone, "field-language")
    await phone.select_option("#field-language", "pl")
    await phone.keyboard.press("Tab")
    # The form posts and comes back to the same address: wait for that navigation
    # itself, not for an address the page already has.
    async with phone.expect_navigation(url=url):
        await phone.keyboard.press("Enter")
    assert await phone.get_attribute("html", "lang") == "pl"
    assert await phone.inner_text("h1") == "Test Town: regulamin programu"
    await phone.goto(url)  # a later visit: the choice is remembered
    assert await phone.get_attribute("html", "lang") == "pl"
    await assert_accessible(phone)


async def test_the_skip_link_moves_the_keyboard_to_the_content(town: Town, web_server: str, phone: Page) -> None:
    await phone.goto(await _terms_url(town, web_server))
    await phone.keyboard.press("Tab")
    assert await phone.is_visible(".skip-link")  # shown when it has the focus
    await phone.keyboard.press("Enter")
    assert await phone.evaluate("() => document.activeElement.id") == "main"
