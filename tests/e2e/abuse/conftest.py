"""An app of its own for tests that need settings the shared client has not
(a metrics token, tiny rate limits, an unreachable Redis)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from coalition.app import create_app
from coalition.platform.runtime.settings import Settings
from tests.support.app_client import AppClient


@pytest.fixture
def app_client(settings: Settings) -> AppClient:
    """``app_client(client_address, **settings)``: a client of a fresh app
    with those settings changed, as seen from ``client_address``."""

    @asynccontextmanager
    async def client(address: str = "127.0.0.1", **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
        app = create_app(settings.model_copy(update=overrides))
        started, stop = asyncio.Event(), asyncio.Event()

        async def run_lifespan() -> None:
            async with app.lifespan():
                started.set()
                await stop.wait()

        lifespan = asyncio.create_task(run_lifespan())
        await started.wait()
        transport = httpx.ASGITransport(app=app, client=(address, 50000))
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://coalition.test") as http:
                yield http
        finally:
            stop.set()
            await lifespan

    return client
