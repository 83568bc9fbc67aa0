"""Pages in a real browser: Debian's Chromium (installed with apt when
missing and allowed), the flags it needs here, axe-core, screenshots."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from playwright.async_api import Page

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).parent / "vendor" / "axe-4.14.1.min.js"
SCREENSHOTS = Path(__file__).parents[1] / "artifacts" / "screenshots"
PHONE = {"width": 390, "height": 844}
# Without the background-networking flags Chromium keeps calling Google's
# hosts, and this machine's closed network refuses each call.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium() -> Path:
    """Debian's Chromium, installed with apt if it is missing and we may."""
    if not CHROMIUM.exists() and shutil.which("apt-get") and os.geteuid() == 0:
        subprocess.run(["apt-get", "install", "-y", "chromium"], capture_output=True, check=False, timeout=600)
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed and could not be installed (apt-get install -y chromium)")
    return CHROMIUM


async def assert_accessible(page: Page) -> None:
    """axe-core finds no serious or critical violation on the page as it is now."""
    # Evaluated by the test through DevTools, not added as a <script>: the pages'
    # Content-Security-Policy rightly refuses inline scripts, and must stay on.
    await page.evaluate(AXE.read_text())
    results = await page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    serious = [v for v in results["violations"] if v["impact"] in ("serious", "critical")]
    assert not serious, "\n".join(
        f"{v['impact']}: {v['id']}: {v['help']} at {[n['target'] for n in v['nodes']]}" for v in serious
    )


async def screenshot(page: Page, name: str) -> Path:
    """A full-page screenshot kept for people to look at (CI keeps the folder)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path
