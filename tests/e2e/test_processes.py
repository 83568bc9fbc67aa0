"""The `coalition` command as a user runs it: real processes, real servers."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import psutil
import pytest
from sqlalchemy import text

from coalition.platform.runtime.embedded import EmbeddedServers
from tests.support.graphql import EARN
from tests.support.time_passing import business_date_now


@pytest.fixture
def data_dir() -> Iterator[Path]:
    """A short folder for embedded servers (socket paths are length-limited), removed after."""
    folder = Path(tempfile.mkdtemp(prefix="c", dir="/tmp"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def coalition(*args: str, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "coalition", *args], env=env, capture_output=True, text=True, check=check, timeout=120
    )


def _new_users_env(folder: Path) -> dict[str, str]:
    """No COALITION_* settings but the data folder: embedded servers, as a new user gets them."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COALITION_")}
    env["COALITION_DATA_DIR"] = str(folder)
    return env


@pytest.fixture
def env(settings) -> dict[str, str]:
    return {
        **os.environ,
        "COALITION_DATABASE_URL": settings.database_url,
        "COALITION_REDIS_URL": settings.redis_url,
    }


@pytest.mark.slow
async def test_admin_commands_print_json_and_the_tokens_work(env, settings) -> None:
    import asyncio

    from litestar.testing import AsyncTestClient

    from coalition.app import create_app

    slug = f"cli-{os.getpid()}-{time.monotonic_ns() % 100000}"
    created = json.loads(
        coalition(
            "admin", "create-coalition", "--slug", slug, "--name", "Stadshart", "--currency", "EUR",
            "--point-value", "0.01", "--timezone", "Europe/Amsterdam", "--points-name", "Stadspunten",
            "--pending-days", "0", "--expiry-months", "24", "--json", env=env,
        ).stdout
    )  # fmt: skip
    assert created["slug"] == slug
    assert created["operatorToken"].startswith("coal_op_")
    again = coalition(
        "admin", "create-coalition", "--slug", slug, "--name", "x", "--currency", "EUR",
        "--point-value", "0.01", "--timezone", "Europe/Amsterdam", env=env, check=False,
    )  # fmt: skip
    assert again.returncode == 2
    assert f"error CONFLICT: --slug: the slug '{slug}' is taken by another coalition" in again.stderr
    bad = coalition(
        "admin", "create-coalition", "--slug", "x-" + slug, "--name", "x", "--currency", "XXY",
        "--point-value", "0.01", "--timezone", "Europe/Amsterdam", env=env, check=False,
    )  # fmt: skip
    assert bad.returncode == 2
    assert "VALIDATION" in bad.stderr

    operator = json.loads(coalition("admin", "operator-token", "--coalition", slug, "--json", env=env).stdout)
    assert operator["token"].startswith("coal_op_")
    # Its id is what revoke takes; a running API that trusts the token for five
    # minutes refuses it as soon as the command has committed (broadcast).
    trusting = settings.model_copy(update={"auth_cache_seconds": 300})
    async with AsyncTestClient(create_app(trusting)) as api:
        assert await _api_status(api, operator["token"]) == 200  # now remembered
        coalition("admin", "revoke", "--coalition", slug, "--credential", operator["id"], env=env)
        for _ in range(50):
            if await _api_status(api, operator["token"]) == 401:
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError("the running API still accepts the revoked operator token")
        assert await _api_status(api, created["operatorToken"]) == 200
    partner = json.loads(
        coalition("admin", "create-partner", "--coalition", slug, "--name", "Bakery", "--earn-rate", "1",
                  "--activate", "--json", env=env).stdout
    )  # fmt: skip
    assert partner["status"] == "ACTIVE"
    typo = coalition(
        "admin", "create-partner", "--coalition", slug, "--name", "B", "--earn-rate", "two", env=env, check=False
    )
    assert typo.returncode == 2
    assert "not a number: two" in typo.stderr
    till = json.loads(
        coalition(
            "admin", "api-key", "--coalition", slug, "--partner", partner["id"], "--label", "till 1", "--json", env=env
        ).stdout
    )
    assert till["apiKey"].startswith("coal_pk_")
    assert (
        coalition("admin", "revoke", "--coalition", slug, "--credential", till["id"], env=env).stdout.strip()
        == "revoked"
    )
    again = coalition("admin", "revoke", "--coalition", slug, "--credential", till["id"], env=env, check=False)
    assert again.returncode != 0
    assert "no active credential" in again.stderr
    missing = coalition(
        "admin", "member-token", "--coalition", slug, "--card", "12345678", "--json", env=env, check=False
    )
    assert missing.returncode != 0
    assert "Invalid value for '--card': no member with card '12345678'" in missing.stderr
    assert "enrol-member" in missing.stderr
    enrolled = json.loads(
        coalition("admin", "enrol-member", "--coalition", slug, "--card", "12345678", "--json", env=env).stdout
    )
    assert enrolled["cardNumber"] == "12345678"
    again = json.loads(
        coalition("admin", "enrol-member", "--coalition", slug, "--card", "12345678", "--json", env=env).stdout
    )
    assert again == enrolled  # enrolled once, however often the command runs
    member = json.loads(
        coalition("admin", "member-token", "--coalition", slug, "--card", "12345678", "--json", env=env).stdout
    )
    assert member["token"].startswith("coal_mb_")
    assert set(member) == {"id", "token"}
    verified = coalition("ledger", "verify", "--coalition", slug, env=env)
    assert "all invariants hold" in verified.stdout


async def _api_status(api, token: str) -> int:
    answer = await api.post(
        "/graphql", json={"query": "{ coalition { name } }"}, headers={"Authorization": f"Bearer {token}"}
    )
    return answer.status_code


@pytest.mark.slow
async def test_ledger_verify_names_each_violation(env, town) -> None:
    shop, _ = await town.partner()
    member_id, card = await town.member(shop)
    earned = await town.earn(shop, card, "10")
    slug = await _slug(town)
    assert coalition("ledger", "verify", "--coalition", slug, env=env).returncode == 0
    async with town.engine.begin() as c:
        # Corrupt the ledger the way only a superuser bypassing the triggers could.
        await c.execute(text("SET session_replication_role = replica"))
        await c.execute(
            text("INSERT INTO ledger_entries VALUES (:m, :t, 3, true, NULL, 7)"),
            {"m": member_id, "t": earned.transaction_id},
        )
        await c.execute(text("SET session_replication_role = origin"))
    failed = coalition("ledger", "verify", "--coalition", slug, env=env, check=False)
    assert failed.returncode == 1
    assert f"invariant 1 entries sum to zero: {earned.transaction_id}: entries sum to 7" in failed.stdout
    assert f"invariant 2 wallet balance equals its entries and its lots: {member_id}" in failed.stdout


async def _slug(town) -> str:
    async with town.engine.connect() as c:
        return (
            await c.execute(text("SELECT slug FROM coalitions WHERE id = :i"), {"i": town.coalition_id})
        ).scalar_one()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_ready(url: str, process: subprocess.Popen[bytes]) -> dict:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, "server exited"
        try:
            answer = httpx.get(url, timeout=1)
            if answer.status_code == 200:
                return answer.json()
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("server never became ready")


@pytest.mark.slow
def test_serve_uses_the_configured_servers_and_starts_none(env, tmp_path) -> None:
    port = _free_port()
    env = {**env, "COALITION_DATA_DIR": str(tmp_path / "unused")}
    process = subprocess.Popen([sys.executable, "-m", "coalition", "serve", "--port", str(port)], env=env)
    try:
        assert _wait_ready(f"http://127.0.0.1:{port}/health/ready", process) == {"database": "ok", "redis": "ok"}
        assert not (tmp_path / "unused").exists()
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


@pytest.mark.slow
def test_a_second_server_on_a_port_in_use_is_refused_before_it_listens(env, tmp_path) -> None:
    port = _free_port()
    first = subprocess.Popen([sys.executable, "-m", "coalition", "serve", "--port", str(port)], env=env)
    try:
        _wait_ready(f"http://127.0.0.1:{port}/health/ready", first)
        other = {**env, "COALITION_DATA_DIR": str(tmp_path / "other"), "COALITION_PORT": str(port)}
        second = subprocess.Popen(
            [sys.executable, "-m", "coalition", "serve"], env=other, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        try:
            out, err = second.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            second.kill()
            out, err = second.communicate()
            raise AssertionError(f"a second server started on port {port}: {err}") from None
        assert second.returncode == 1
        assert f"port {port} on 127.0.0.1 is already in use" in err
        assert "Listening" not in out + err
        assert not (tmp_path / "other").exists()  # refused before any embedded server started
        assert _wait_ready(f"http://127.0.0.1:{port}/health/ready", first) == {"database": "ok", "redis": "ok"}
    finally:
        first.send_signal(signal.SIGTERM)
        first.wait(timeout=30)


@pytest.mark.slow
def test_embedded_servers_are_shared_and_stopped_by_the_last_user(data_dir) -> None:
    folder = data_dir
    env = _new_users_env(folder)
    port = _free_port()
    first = subprocess.Popen([sys.executable, "-m", "coalition", "serve", "--port", str(port)], env=env)
    try:
        assert _wait_ready(f"http://127.0.0.1:{port}/health/ready", first) == {"database": "ok", "redis": "ok"}
        lease = json.loads((folder / "servers.json").read_text())
        valkey_pid = lease["valkey"]["pid"]
        postgres_pid = int((folder / "pg" / "postmaster.pid").read_text().split()[0])
        # A second process joins the same servers rather than starting its own.
        second = coalition("db", "upgrade", env=env)
        assert "up to date" in second.stdout
        assert json.loads((folder / "servers.json").read_text())["valkey"]["pid"] == valkey_pid
        assert psutil.pid_exists(valkey_pid)
        assert psutil.pid_exists(postgres_pid)
    finally:
        first.send_signal(signal.SIGTERM)
        first.wait(timeout=30)
    deadline = time.monotonic() + 15
    while (psutil.pid_exists(valkey_pid) or psutil.pid_exists(postgres_pid)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not psutil.pid_exists(valkey_pid)
    assert not psutil.pid_exists(postgres_pid)
    assert json.loads((folder / "servers.json").read_text())["holders"] == []


@pytest.mark.slow
def test_a_crashed_holder_does_not_keep_the_servers_forever(data_dir) -> None:
    folder = data_dir
    crashed = subprocess.run(
        [sys.executable, "-c", (
            "import os, pathlib; from coalition.platform.runtime.embedded import EmbeddedServers;"
            f"EmbeddedServers(pathlib.Path('{folder}')).acquire(); os._exit(9)"
        )],
        timeout=60,
    )  # fmt: skip
    assert crashed.returncode == 9
    servers = EmbeddedServers(folder)
    servers.acquire()
    lease = json.loads((folder / "servers.json").read_text())
    assert lease["holders"] == [os.getpid()]  # the dead holder was pruned
    servers.release()
    assert not psutil.pid_exists(lease["valkey"]["pid"])


async def test_readiness_reports_a_lost_redis_and_postings_go_on(settings, scene) -> None:
    from litestar.testing import AsyncTestClient

    from coalition.app import create_app

    broken = settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{_free_port()}/0"})
    async with AsyncTestClient(create_app(broken)) as client:
        answer = await client.get("/health/ready")
        assert answer.status_code == 503
        assert answer.json()["database"] == "ok"
        assert answer.json()["redis"].startswith("unavailable")
        assert (await client.get("/health/live")).status_code == 200
        # Redis is not on the posting path: tills keep posting while it is down.
        earned = await client.post(
            "/graphql",
            json={
                "query": EARN,
                "variables": {"input": {"idempotencyKey": "no-redis", "cardNumber": scene.card_a, "amount": "3"}},
            },
            headers={"Authorization": f"Bearer {scene.pos_a}"},
        )
        assert earned.json()["data"]["earnPoints"]["transaction"]["points"] == 3


@pytest.mark.slow
def test_the_readme_demo_command_serves_a_seeded_town(data_dir) -> None:
    folder = data_dir
    env = _new_users_env(folder)
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "coalition", "demo", "--port", str(port), "--members", "30", "--days", "3"],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        banner: list[str] = []
        assert process.stdout is not None
        for line in process.stdout:
            banner.append(line)
            if line.startswith("  curl"):
                break
        tokens = {
            line.split(": ")[0].strip(): line.split(": ")[1].strip()
            for line in banner
            if "token" in line or "key" in line
        }
        operator = next(v for k, v in tokens.items() if k.startswith("operator"))
        member = next(v for k, v in tokens.items() if k.startswith("member"))
        tills = [v for k, v in tokens.items() if k.startswith("till (POS) key of ")]
        assert len(set(tills)) == 6  # a key for every shop
        assert any(line.startswith("Settled and approved: ") for line in banner)
        url = f"http://127.0.0.1:{port}/graphql"
        town = httpx.post(
            url,
            headers={"Authorization": f"Bearer {operator}"},
            json={"query": "{ coalition { name partners { edges { node { name status } } } } }"},
        ).json()["data"]["coalition"]
        assert town["name"] == "Demo Town Shops"
        assert len(town["partners"]["edges"]) == 6
        assert {e["node"]["status"] for e in town["partners"]["edges"]} == {"ACTIVE"}
        wallet = httpx.post(
            url,
            headers={"Authorization": f"Bearer {member}"},
            json={"query": "{ me { wallet { balance transactions(first: 50) { edges { node { kind } } } } } }"},
        ).json()["data"]["me"]["wallet"]
        assert wallet["balance"] >= 0
        verified = coalition("ledger", "verify", "--coalition", "demo", env=env)
        assert "all invariants hold" in verified.stdout
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


async def test_a_revocation_reaches_every_api_process_at_once(settings, scene) -> None:
    """Two API processes trusting verified keys for five minutes: a key revoked
    through one is refused by the other straight away (Redis broadcast)."""
    import asyncio

    from litestar.testing import AsyncTestClient

    from coalition.app import create_app

    trusting = settings.model_copy(update={"auth_cache_seconds": 300})
    query = {"query": "{ coalition { name } }"}
    async with AsyncTestClient(create_app(trusting)) as first, AsyncTestClient(create_app(trusting)) as second:
        made = await first.post(
            "/graphql",
            json={"query": "mutation { createApiKey(role: POS) { id apiKey } }"},
            headers={"Authorization": f"Bearer {scene.manager_a}"},
        )
        key = made.json()["data"]["createApiKey"]
        till = {"Authorization": f"Bearer {key['apiKey']}"}
        assert (await second.post("/graphql", json=query, headers=till)).status_code == 200  # now remembered
        revoked = await first.post(
            "/graphql",
            json={
                "query": "mutation($id: ID!) { revokeCredential(id: $id) { revoked } }",
                "variables": {"id": key["id"]},
            },
            headers={"Authorization": f"Bearer {scene.operator}"},
        )
        assert revoked.json()["data"]["revokeCredential"]["revoked"] is True
        for _ in range(50):
            if (await second.post("/graphql", json=query, headers=till)).status_code == 401:
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError("the other process still accepts the revoked key")


@pytest.mark.slow
async def test_member_token_opens_that_members_wallet(env, scene, gql) -> None:
    slug = await _slug(scene.town)
    token = json.loads(
        coalition("admin", "member-token", "--coalition", slug, "--card", scene.card_b, "--json", env=env).stdout
    )
    me = await gql(token["token"], "{ me { cardNumber wallet { balance } } }")
    assert me["data"]["me"] == {"cardNumber": scene.card_b, "wallet": {"balance": 200}}


@pytest.mark.slow
def test_a_configured_database_behind_the_code_is_named_not_touched(settings, env) -> None:
    import asyncio

    import asyncpg
    from sqlalchemy.engine import make_url

    name = f"coalition_empty_{os.getpid()}"
    admin = (
        make_url(settings.database_url)
        .set(drivername="postgresql", database="postgres")
        .render_as_string(hide_password=False)
    )

    async def sql(statement: str) -> None:
        connection = await asyncpg.connect(admin)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(sql(f"CREATE DATABASE {name}"))
    try:
        empty = make_url(settings.database_url).set(database=name).render_as_string(hide_password=False)
        refused = coalition(
            "admin", "operator-token", "--coalition", "x", env={**env, "COALITION_DATABASE_URL": empty}, check=False
        )
        assert refused.returncode != 0
        assert "run `coalition db upgrade` first" in refused.stderr
        upgraded = coalition("db", "upgrade", env={**env, "COALITION_DATABASE_URL": empty})
        assert "up to date" in upgraded.stdout
    finally:
        asyncio.run(sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


@pytest.mark.slow
async def test_the_daily_tier_review_runs_from_the_command_line(env, scene) -> None:
    from coalition.partners.programme import save_coalition_rules
    from coalition.platform.programme.rules import CoalitionRulesChanges, Tier, TierPolicy

    async with scene.town.sessions.begin() as session:
        tiers = TierPolicy(tiers=(Tier("BRONZE", "Bronze", 0), Tier("SILVER", "Silver", 150)))
        await save_coalition_rules(session, scene.town.operator, CoalitionRulesChanges(tiers=tiers))
    slug = await _slug(scene.town)
    first = coalition("programme", "review-tiers", "--coalition", slug, env=env)
    assert first.stdout.strip() == "2 member(s) changed tier"  # A to Bronze (100 points), B to Silver (200)
    again = coalition("programme", "review-tiers", "--coalition", slug, env=env)
    assert again.stdout.strip() == "0 member(s) changed tier"
    wrong = coalition("programme", "review-tiers", "--coalition", slug, "--date", "soon", env=env, check=False)
    assert wrong.returncode == 2
    assert "Invalid value for '--date': not a date (YYYY-MM-DD): soon" in wrong.stderr


@pytest.mark.slow
async def test_settle_a_range_of_days_in_order_and_verify_their_nets(env, scene) -> None:
    slug = await _slug(scene.town)
    today = await business_date_now(scene.town)
    first = (today - timedelta(days=2)).isoformat()
    settled = coalition("settle", "--coalition", slug, "--date", first, "--through", today.isoformat(), env=env)
    assert settled.stdout.splitlines() == [
        f"{(today - timedelta(days=2)).isoformat()} COMPUTED",
        f"{(today - timedelta(days=1)).isoformat()} COMPUTED",
        f"{today.isoformat()} PROVISIONAL",
    ]
    assert "settling" in settled.stderr  # the progress bar
    assert coalition("ledger", "verify", "--coalition", slug, env=env).returncode == 0
    async with scene.town.engine.begin() as c:  # corrupt the open day's run behind the code's back
        await c.execute(
            text(
                "UPDATE settlement_lines SET receivable_minor = receivable_minor + 1, net_minor = net_minor + 1"
                " WHERE run_id = (SELECT id FROM settlement_runs WHERE coalition_id = :i AND status = 'PROVISIONAL')"
                " AND line = 1"
            ),
            {"i": scene.town.coalition_id},
        )
    broken = coalition("ledger", "verify", "--coalition", slug, env=env, check=False)
    assert broken.returncode == 1
    assert "invariant 5 settled day nets to zero" in broken.stdout
    backwards = coalition("settle", "--coalition", slug, "--date", today.isoformat(), "--through", first, env=env,
                          check=False)  # fmt: skip
    assert backwards.returncode == 2
    unknown = coalition("settle", "--coalition", "nosuch", "--date", first, env=env, check=False)
    assert unknown.returncode == 2
    assert "Invalid value for '--coalition': no coalition 'nosuch'" in unknown.stderr
    assert "settling" not in unknown.stderr  # told before any settling starts


@pytest.mark.slow
async def test_statement_and_payout_file_from_the_command_line(env, scene, tmp_path) -> None:
    from schwifty import IBAN

    from coalition.settlement import service as settlement
    from coalition.settlement.rules import FundingModel

    town = scene.town
    slug = await _slug(town)
    await town.redeem(scene.shop_b, scene.card_a, 40)  # A owes B 0.40
    today = await business_date_now(town)
    async with town.sessions.begin() as session:
        await settlement.run_day(session, town.coalition_id, today, now=datetime.now(UTC) + timedelta(days=1))
        await settlement.approve(session, town.operator, today)
        await settlement.set_policy(session, town.operator, settlement.PolicySpec(FundingModel.AT_REDEMPTION,
                                                                                  breakage_percent=Decimal(5)))  # fmt: skip
    xml = tmp_path / "payouts.xml"
    period = f"{(today - timedelta(days=6)).isoformat()}..{today.isoformat()}"
    unpaid = coalition("payouts", "export", "--coalition", slug, "--period", period, "--out", str(xml), env=env,
                       check=False)  # fmt: skip
    assert unpaid.returncode == 2
    assert "set the coalition's paying account" in unpaid.stderr
    # The accounts, from the command line, checked as the API checks them.
    payer = str(IBAN.generate("NL", bank_code="INGB", account_code="0001234567").compact)
    wrong = coalition("payouts", "paying-account", "--coalition", slug, "--name", "Town Assoc", "--iban", "NL00XXXX1",
                      env=env, check=False)  # fmt: skip
    assert wrong.returncode == 2
    assert "error VALIDATION: --iban: the paying account is not valid" in wrong.stderr
    paying = coalition("payouts", "paying-account", "--coalition", slug, "--name", "Town Assoc", "--iban", payer,
                       env=env)  # fmt: skip
    assert paying.stdout.strip() == f"payouts are paid from {payer}"
    wrong = coalition("payouts", "partner-account", "--coalition", slug, "--partner", str(scene.shop_b), "--iban",
                      "BE00", env=env, check=False)  # fmt: skip
    assert wrong.returncode == 2
    assert "error VALIDATION: --iban: IBAN is not valid" in wrong.stderr
    coalition("payouts", "partner-account", "--coalition", slug, "--partner", str(scene.shop_b), "--iban",
              "BE68 5390 0754 7034", env=env)  # fmt: skip
    async with town.engine.connect() as c:  # the rest of the policy stays as it was
        kept = (await c.execute(text("SELECT breakage_percent, payer_name FROM settlement_policies"
                                     " WHERE coalition_id = :i"), {"i": town.coalition_id})).one()  # fmt: skip
    assert kept == (Decimal(5), "Town Assoc")
    pdf = tmp_path / "b.pdf"
    coalition("statement", "--coalition", slug, "--date", today.isoformat(), "--partner", str(scene.shop_b),
              "--format", "pdf", "--out", str(pdf), env=env)  # fmt: skip
    assert pdf.read_bytes().startswith(b"%PDF-")
    missing = coalition("statement", "--coalition", slug, "--date", today.isoformat(), "--partner", str(scene.shop_b),
                        "--out", "/missing/dir/x.pdf", env=env, check=False)  # fmt: skip
    assert missing.returncode == 2
    assert "Invalid value for '--out': the folder /missing/dir does not exist" in missing.stderr
    assert "Traceback" not in missing.stderr
    typo = coalition("statement", "--coalition", slug, "--date", today.isoformat(), "--partner", "xyz",
                     "--out", str(pdf), env=env, check=False)  # fmt: skip
    assert typo.returncode == 2
    assert "Invalid value for '--partner': not an id: xyz" in typo.stderr
    done = coalition("payouts", "export", "--coalition", slug, "--period", period, "--out", str(xml), env=env)
    assert "pay B: 0.40 EUR to BE68539007547034" in done.stdout
    assert "owes the coalition A: 0.40 EUR" in done.stdout
    assert b"<CtrlSum>0.40</CtrlSum>" in xml.read_bytes()
    wrong = coalition("payouts", "export", "--coalition", slug, "--period", "last month", "--out", str(xml), env=env,
                      check=False)  # fmt: skip
    assert wrong.returncode == 2
    assert "Invalid value for '--period': expected START..END" in wrong.stderr
    tomorrow = coalition("payouts", "export", "--coalition", slug, "--period", period, "--execution-date", "tomorrow",
                         "--out", str(xml), env=env, check=False)  # fmt: skip
    assert tomorrow.returncode == 2
    assert "Invalid value for '--execution-date': not a date (YYYY-MM-DD): tomorrow" in tomorrow.stderr
    assert "--period" not in tomorrow.stderr


@pytest.mark.slow
def test_bad_server_settings_are_named_and_nothing_starts(env, data_dir) -> None:
    refused = coalition("serve", "--workers", "0", env=env, check=False)
    assert refused.returncode == 2
    assert "Invalid value for '--workers'" in refused.stderr

    bad = {**env, "COALITION_DATA_DIR": str(data_dir), "COALITION_GROUP_COMMIT_MAX_BATCH": "33"}
    refused = coalition("serve", env=bad, check=False)
    assert refused.returncode == 1
    assert "invalid setting: COALITION_GROUP_COMMIT_MAX_BATCH" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert not any(data_dir.iterdir())  # no embedded server was started

    refused = coalition("serve", env={**bad, "COALITION_GROUP_COMMIT_MAX_BATCH": "8", "COALITION_PORT": "80000"},
                        check=False)  # fmt: skip
    assert refused.returncode == 1
    assert "invalid setting: COALITION_PORT: Input should be less than or equal to 65535" in refused.stderr
    assert "Traceback" not in refused.stderr
    refused = coalition("serve", "--port", "80000", env=env, check=False)
    assert refused.returncode == 2
    assert "Invalid value for '--port'" in refused.stderr
    assert not any(data_dir.iterdir())
