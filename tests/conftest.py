"""Real servers for the tests: embedded by default, or the ones named by
COALITION_DATABASE_URL / COALITION_REDIS_URL (each run gets a fresh database)."""

from __future__ import annotations

import asyncio
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from coalition.app import create_app
from coalition.partners import lifecycle
from coalition.partners.earning.till import TillSetups, earn_points
from coalition.platform.auth.service import Principal
from coalition.platform.coalitions.service import create_coalition
from coalition.platform.ledger.repository import PostingGateway
from coalition.platform.ledger.service import LedgerService
from coalition.platform.members import service as members
from coalition.platform.runtime import migrate
from coalition.platform.runtime.database import create_engine, create_sessionmaker
from coalition.platform.runtime.embedded import embedded_servers
from coalition.platform.runtime.settings import Settings


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
        _admin_sql(server_url, f"CREATE DATABASE {test_db}")
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
            _admin_sql(server_url, f"DROP DATABASE IF EXISTS {test_db} WITH (FORCE)")


def _admin_sql(url: str, statement: str) -> None:
    import asyncio

    async def run() -> None:
        connection = await asyncpg.connect(_plain(url))
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(run())


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


class Town:
    """A fresh coalition per test: tests never see each other's data."""

    def __init__(self, engine: AsyncEngine, ledger: LedgerService, setups: TillSetups) -> None:
        self.engine = engine
        self.sessions = create_sessionmaker(engine)
        self.ledger = ledger
        self.setups = setups
        self.coalition_id: uuid.UUID
        self.operator_token: str
        self.currency = "EUR"

    async def create(self, *, pending_days: int = 0, expiry_months: int | None = 24) -> Town:
        async with self.sessions.begin() as session:
            record, self.operator_token = await create_coalition(
                session,
                slug=f"t-{uuid.uuid4().hex[:12]}",
                name="Test Town",
                currency=self.currency,
                point_value="0.01",
                timezone="Europe/Amsterdam",
                pending_days=pending_days,
                expiry_months=expiry_months,
            )
        self.coalition_id = record.id
        return self

    @property
    def operator(self) -> Principal:
        return Principal.local_operator(self.coalition_id, via="tests")

    async def partner(
        self, name: str = "Shop", rate: str = "1", *, active: bool = True, iban: str | None = None
    ) -> tuple[uuid.UUID, str]:
        async with self.sessions.begin() as session:
            partner, key = await lifecycle.create_partner(
                session, self.operator, name=name, earn_rate_per_unit=Decimal(rate), iban=iban
            )
            if active:
                await lifecycle.set_status(session, self.operator, partner.id, "ACTIVE")
        return partner.id, key

    async def member(self, partner_id: uuid.UUID, card: str | None = None) -> tuple[uuid.UUID, str]:
        async with self.sessions.begin() as session:
            record = await members.enrol(
                session,
                coalition_id=self.coalition_id,
                scope_id=partner_id,
                partner_id=partner_id,
                request=members.Enrolment(uuid.uuid4().hex, card, None, None, None),
            )
        return record.id, record.card_number

    async def earn(self, partner_id: uuid.UUID, card: str, amount: str, key: str | None = None) -> Any:
        return await earn_points(
            self.ledger,
            self.setups,
            partner_id,
            idempotency_key=key or uuid.uuid4().hex,
            card_number=card,
            amount=Decimal(amount),
            receipt_ref=None,
            lines=None,
            occurred_at=None,
        )

    async def redeem(self, partner_id: uuid.UUID, card: str, points: int, key: str | None = None) -> Any:
        return await self.ledger.redeem(
            partner_id, idempotency_key=key or uuid.uuid4().hex, card_number=card, points=points, receipt_ref=None
        )

    async def reverse(self, partner_id: uuid.UUID | None, transaction_id: uuid.UUID, points: int | None = None) -> Any:
        return await self.ledger.reverse(
            self.coalition_id,
            partner_id,
            idempotency_key=uuid.uuid4().hex,
            transaction_id=transaction_id,
            points=points,
            reason=None,
        )


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


class GraphQL:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def __call__(self, token: str | None, query: str, **variables: Any) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await self.client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
        body: dict[str, Any] = response.json()
        body["_status"] = response.status_code
        return body


@pytest.fixture(scope="session")
def gql(client: httpx.AsyncClient) -> GraphQL:
    return GraphQL(client)
