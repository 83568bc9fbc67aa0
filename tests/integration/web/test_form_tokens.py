"""Form tokens are signed with one key for every server process: a form
served by one process may be posted to another."""

from __future__ import annotations

import re

import httpx

from coalition.app import create_app
from coalition.platform.runtime.settings import Settings


async def test_a_form_from_one_server_process_is_accepted_by_another(settings: Settings) -> None:
    first, second = create_app(settings), create_app(settings)
    async with (
        first.lifespan(),
        second.lifespan(),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=first), base_url="http://one.test") as one,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=second), base_url="http://one.test") as other,
    ):
        page = await one.get("/terms/no-such-coalition")
        token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
        assert token is not None
        other.cookies = one.cookies
        chosen = await other.post(
            "/language", data={"_csrf_token": token.group(1), "language": "nl", "back": "/terms/x"}
        )
        assert chosen.status_code == 303
        assert chosen.cookies["coalition_language"] == "nl"
