"""Real servers for the tests: embedded by default, or the ones named by
COALITION_DATABASE_URL / COALITION_REDIS_URL (each run gets a fresh database)."""

from __future__ import annotations

import asyncio
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from coalition.app import create_app
from coalition.partners.earning.till import TillSetups
from coalition.platform.ledger.repository import PostingGateway
from coalition.platform.ledger.service import LedgerService
from coalition.platform.runtime import migrate
from coalition.platform.runtime.database import create_engine
from coalition.platform.runtime.embedded import embedded_servers
from coalition.platform.runtime.settings import Settings
from tests.support.databases import admin_sql
from tests.support.graphql import GraphQL
from tests.support.town import Town


def _plain(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def settings() -> Iterator[Settings]:
    database_url = os.environ.get("COALITION_DATABASE_URL")
    redis_url = os.environ.get("COALITION_REDIS_URL")
    with (
        tempfile.TemporaryDirectory(prefix="coal", dir="/tmp") as folder,
        embedded_servers(Path(folder), postgres=database_url is None, valkey=redis_url is None) as urls,
    ):
        server_url = database_url or urls.database_url
        assert server_url is not None
        test_db = f"coalition_test_{uuid.uuid4().hex[:10]}"
        admin_sql(server_url, f"CREATE DATABASE {test_db}")
        test_url = make_url(_plain(server_url)).set(database=test_db).render_as_string(hide_password=False)
        migrate.upgrade(test_url)
        try:
            yield Settings(
                database_url=test_url,
                redis_url=redis_url or urls.redis_url,
                data_dir=Path(folder),
                auth_cache_seconds=0,
            )
        finally:
            admin_sql(server_url, f"DROP DATABASE IF EXISTS {test_db} WITH (FORCE)")


@pytest.fixture(scope="session")
def database_url(settings: Settings) -> str:
    assert settings.database_url is not None
    return settings.database_url


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url, pool_size=20)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
def ledger(engine: AsyncEngine) -> LedgerService:
    return LedgerService(PostingGateway(engine))


@pytest.fixture(scope="session")
def till_setups(engine: AsyncEngine) -> TillSetups:
    return TillSetups(engine, ttl=0.001)


@pytest.fixture
async def town(engine: AsyncEngine, ledger: LedgerService, till_setups: TillSetups) -> Town:
    return await Town(engine, ledger, till_setups).create()


@pytest.fixture(scope="session")
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    started, stop = asyncio.Event(), asyncio.Event()

    async def run_lifespan() -> None:
        # The lifespan is entered and left in this one task, as anyio requires.
        async with app.lifespan():
            started.set()
            await stop.wait()

    lifespan = asyncio.create_task(run_lifespan())
    await started.wait()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://coalition.test") as http:
        yield http
    stop.set()
    await lifespan


@pytest.fixture(scope="session")
def gql(client: httpx.AsyncClient) -> GraphQL:
    return GraphQL(client)
