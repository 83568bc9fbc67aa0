"""The browser tests' fixtures: a real ``coalition serve`` process, Chromium, a phone-sized page."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator

import pytest
from playwright.async_api import Browser, Page, async_playwright

from coalition.platform.runtime.settings import Settings
from tests.support.browser import CHROMIUM_FLAGS, PHONE, chromium
from tests.support.served import served_api


@pytest.fixture(scope="session")
def web_server(settings: Settings) -> Iterator[str]:
    """The base URL of ``coalition serve`` on the tests' database and Redis."""
    with served_api(settings) as base:
        yield base


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    executable = chromium()
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(executable), args=CHROMIUM_FLAGS)
        yield launched
        await launched.close()


@pytest.fixture
async def phone(browser: Browser) -> AsyncIterator[Page]:
    """A page in a fresh phone-sized browser context (no cookies from other tests)."""
    context = await browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    page = await context.new_page()
    yield page
    await context.close()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every browser test starts Chromium against a served process: the slow lane's, wherever it is written."""
    here = os.path.dirname(__file__)
    for item in items:
        if str(item.path).startswith(here):
            item.add_marker(pytest.mark.slow)
