"""The browser tests' fixtures: a real ``coalition serve`` process, Chromium, a phone-sized page."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, async_playwright

from coalition.platform.runtime.settings import Settings
from tests.support.browser import CHROMIUM_FLAGS, PHONE, chromium


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def web_server(settings: Settings) -> Iterator[str]:
    """The base URL of ``coalition serve`` on the tests' database and Redis."""
    port = _free_port()
    assert settings.database_url
    assert settings.redis_url
    env = {**os.environ, "COALITION_DATABASE_URL": settings.database_url, "COALITION_REDIS_URL": settings.redis_url}
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "coalition", "serve", "--port", str(port)], env=env, stdout=log, stderr=log
        )
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_ready(f"{base}/health/ready", process, log)
            yield base
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Any) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            raise AssertionError(f"coalition serve exited:\n{log.read()}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("coalition serve never became ready")


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
