"""What a real API server process writes to stderr: one JSON object a line,
each event at the level it deserves, and never a logging error. (The
worker's lines are checked in test_worker.py.)"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from coalition.partners.earning.till import TillSetups
from coalition.platform.auth.service import issue
from coalition.platform.auth.tokens import CredentialKind, PartnerRole
from coalition.platform.ledger.repository import PostingGateway
from coalition.platform.ledger.service import LedgerService
from coalition.platform.runtime.database import create_engine
from tests.support.databases import own_database
from tests.support.processes import Lines, json_lines
from tests.support.town import Town


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


async def _until_live(http: httpx.AsyncClient, server: Any) -> None:
    for _ in range(240):
        assert server.poll() is None, "the server stopped"
        try:
            if (await http.get("/health/live")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.25)
    raise AssertionError("the server did not come up")


async def _ask(http: httpx.AsyncClient, token: str | None, query: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await http.post("/graphql", json={"query": query}, headers=headers)


@pytest.mark.slow
async def test_refusals_are_info_bad_queries_warnings_and_an_unexpected_error_is_logged_once_with_its_cause(
    settings,
) -> None:
    async with own_database(settings.database_url) as url:
        engine = create_engine(url, pool_size=2)
        gateway = PostingGateway(engine)
        try:
            town = await Town(engine, LedgerService(gateway), TillSetups(engine)).create()
            shop, _ = await town.partner(rate="1")
            async with town.sessions.begin() as session:
                _, till = await issue(
                    session, coalition_id=town.coalition_id, kind=CredentialKind.PARTNER, partner_id=shop,
                    role=PartnerRole.POS,
                )  # fmt: skip
            port = _free_port()
            env = {**os.environ, "COALITION_DATABASE_URL": url, "COALITION_REDIS_URL": settings.redis_url}
            server = subprocess.Popen(  # noqa: ASYNC220 - a real process is the point
                [sys.executable, "-m", "coalition", "serve", "--port", str(port)],
                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            )  # fmt: skip
            assert server.stderr is not None
            output = Lines(server.stderr)
            try:
                async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
                    await _until_live(http, server)
                    refused = (await _ask(http, till, "{ settlementRuns(first: 0) { edges { cursor } } }")).json()
                    assert refused["errors"][0]["extensions"]["code"] == "VALIDATION"
                    rejected = (await _ask(http, till, "{ noSuchField }")).json()
                    assert rejected["data"] is None
                    assert (await _ask(http, None, "{ coalition { name } }")).status_code == 401
                    async with engine.begin() as connection:  # the database breaks behind the server's back
                        await connection.execute(text("ALTER TABLE settlement_runs RENAME TO settlement_runs_gone"))
                    broken = await _ask(http, town.operator_token, "{ settlementRuns(first: 1) { edges { cursor } } }")
                    assert broken.json()["errors"][0]["message"] == "Unexpected error."
            finally:
                server.send_signal(signal.SIGTERM)
                await asyncio.to_thread(server.wait, 60)
        finally:
            await gateway.aclose()
            await engine.dispose()

    records = json_lines(output.finish())  # a "--- Logging error ---" dump would not parse
    assert {"event", "level", "timestamp", "logger"} <= set(records[0])
    errors = [r for r in records if r["level"] == "error"]
    assert [r["event"] for r in errors] == ["graphql unexpected error"]  # once
    assert "UndefinedTableError" in errors[0]["exception"]  # the real cause, in the line
    assert 'relation "settlement_runs" does not exist' in errors[0]["exception"]
    by_event = {r["event"]: r for r in records}
    assert by_event["graphql request refused"]["level"] == "info"
    assert by_event["graphql request refused"]["code"] == "VALIDATION"
    assert by_event["graphql query rejected"]["level"] == "warning"
    assert (by_event["request refused"]["level"], by_event["request refused"]["status_code"]) == ("info", 401)
    assert not [r for r in records if r["level"] != "error" and "exception" in r]  # no traceback for a refusal
