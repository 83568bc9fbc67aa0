"""The container image as an operator runs it: built with podman, then
``db upgrade``, ``serve`` and ``worker`` from it against the servers the tests
use, and points earned through it over HTTP."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import make_url

from tests.support.databases import admin_sql
from tests.support.graphql import EARN, ENROL, WALLET

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
IMAGE = "localhost/coalition:test"


def podman(*args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["podman", *args], capture_output=True, text=True, check=check, timeout=timeout)


@pytest.fixture(scope="module")
def image() -> str:
    if shutil.which("podman") is None:
        pytest.skip("podman is not installed: apt-get install -y podman runc mmdebstrap uidmap")
    base = subprocess.run(
        [str(ROOT / "deploy/scripts/debian-python-base.sh")], capture_output=True, text=True, check=False, timeout=900
    )
    assert base.returncode == 0, base.stderr
    build = subprocess.run(
        [
            "podman", "build", "--format", "docker", "--network", "host",
            # The host's CA bundle, so the build reaches the package index as the host does.
            "-v", "/etc/ssl/certs:/etc/ssl/certs:ro",
            "--build-arg", f"BASE={base.stdout.strip()}", "-f", "deploy/Containerfile", "-t", IMAGE, ".",
        ],
        cwd=ROOT, capture_output=True, text=True, check=False, timeout=1800,
    )  # fmt: skip
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    return IMAGE


@pytest.fixture
def servers(settings) -> Iterator[dict[str, str]]:
    """A fresh database on the tests' PostgreSQL, reached over TCP from the host network."""
    server = make_url(settings.database_url).set(drivername="postgresql")
    if not server.host or server.host.startswith("/") or "host" in server.query:
        pytest.skip(
            "the image test needs a PostgreSQL reachable over TCP: set COALITION_DATABASE_URL "
            "(the embedded server listens on a Unix socket only)"
        )
    name = f"coalition_image_{uuid.uuid4().hex[:10]}"
    admin = server.render_as_string(hide_password=False)
    admin_sql(admin, f"CREATE DATABASE {name}")
    try:
        yield {
            "COALITION_DATABASE_URL": server.set(database=name).render_as_string(hide_password=False),
            # A Redis database of its own: the worker must not take other runs' queued jobs.
            "COALITION_REDIS_URL": urlsplit(settings.redis_url)._replace(path="/11").geturl(),
        }
    finally:
        admin_sql(admin, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run(
    image: str, environment: dict[str, str], *command: str, detach: str | None = None, mounts: tuple[str, ...] = ()
):
    """As compose and Kubernetes run it: a read-only root file system, a writable /tmp."""
    flags = [flag for name, value in environment.items() for flag in ("-e", f"{name}={value}")]
    where = ["-d", "--name", detach] if detach else ["--rm"]
    return podman("run", *where, "--network", "host", "--read-only", *mounts, *flags, image, *command)


def _wait_ready(port: int, container: str) -> None:
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health/ready", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        state = podman("inspect", "--format", "{{.State.Status}}", container).stdout.strip()
        assert state == "running", podman("logs", container, check=False).stderr[-3000:]
        time.sleep(0.2)
    raise AssertionError("the API never became ready")


def test_the_image_migrates_serves_and_works_the_nightly_jobs(image, servers) -> None:
    """Everything runs as an unprivileged user from the one image."""
    assert podman("run", "--rm", "--entrypoint", "id", image, "-u").stdout.strip() == "10001"
    upgraded = run(image, servers, "db", "upgrade")
    assert "database is up to date" in upgraded.stdout

    slug = f"img-{uuid.uuid4().hex[:8]}"
    created = json.loads(run(image, servers, "admin", "create-coalition", "--slug", slug, "--name", "Image Town",
                             "--currency", "EUR", "--point-value", "0.01", "--timezone", "Europe/Amsterdam",
                             "--json").stdout)  # fmt: skip
    shop = json.loads(run(image, servers, "admin", "create-partner", "--coalition", slug, "--name", "Bakery",
                          "--earn-rate", "1", "--activate", "--json").stdout)  # fmt: skip
    till = json.loads(
        run(image, servers, "admin", "api-key", "--coalition", slug, "--partner", shop["id"], "--json").stdout
    )["apiKey"]

    port = _free_port()
    api, worker = f"coalition-api-{port}", f"coalition-worker-{port}"
    try:
        run(image, {**servers, "COALITION_PORT": str(port), "PROMETHEUS_MULTIPROC_DIR": "/tmp/metrics",
                     "COALITION_METRICS_TOKEN": "scraper"},
            "serve", "--workers", "2", detach=api, mounts=("--tmpfs", "/tmp/metrics"))  # fmt: skip
        _wait_ready(port, api)
        health = podman("healthcheck", "run", api, check=False)
        assert health.returncode == 0, health.stdout + health.stderr

        def graphql(token: str, query: str, **variables) -> dict:
            answer = httpx.post(
                f"http://127.0.0.1:{port}/graphql",
                json={"query": query, "variables": variables},
                headers={"Authorization": f"Bearer {token}"},
                timeout=30,
            )
            assert answer.status_code == 200, answer.text
            return answer.json()["data"]

        enrolled = graphql(till, ENROL, input={"idempotencyKey": uuid.uuid4().hex})["enrollMember"]
        assert enrolled["errors"] == [], enrolled
        card = enrolled["member"]["cardNumber"]
        earned = graphql(till, EARN, input={"idempotencyKey": uuid.uuid4().hex, "cardNumber": card, "amount": "42.50"})
        assert earned["earnPoints"]["errors"] == []
        assert earned["earnPoints"]["transaction"]["points"] == 42
        assert earned["earnPoints"]["wallet"]["balance"] == 42
        # Both server processes' counts, summed: exactly the two GraphQL requests sent.
        metrics = httpx.get(
            f"http://127.0.0.1:{port}/metrics", headers={"Authorization": "Bearer scraper"}, timeout=10
        ).text
        assert _graphql_requests(metrics) == 2

        # Time passes for the member's points; the worker's nightly work, run at
        # its start, must expire them.
        _expire_now(servers["COALITION_DATABASE_URL"], card)
        run(image, servers, "worker", detach=worker)
        expired = '"expired_points": 42'  # in the worker's JSON report of its nightly run
        for _ in range(300):
            logs = podman("logs", worker, check=False)
            if expired in logs.stdout + logs.stderr:
                break
            assert podman("inspect", "--format", "{{.State.Status}}", worker).stdout.strip() == "running"
            time.sleep(0.2)
        assert expired in logs.stdout + logs.stderr, logs.stderr[-3000:]
        wallet = graphql(created["operatorToken"], WALLET, card=card)["member"]["wallet"]
        assert (wallet["balance"], wallet["available"]) == (0, 0)
    finally:
        for container in (api, worker):
            podman("rm", "--force", "--time", "5", container, check=False)


def _graphql_requests(metrics: str) -> float:
    return sum(
        sample.value
        for family in text_string_to_metric_families(metrics)
        for sample in family.samples
        if sample.name == "coalition_requests_total" and sample.labels.get("path") == "/graphql"
    )


def _expire_now(database_url: str, card: str) -> None:
    """Move the member's lots' expiry into the past. Ledger rows are immutable,
    so this runs with the triggers off (a superuser's test-only switch)."""
    import asyncio

    import asyncpg

    async def age() -> None:
        connection = await asyncpg.connect(database_url)
        try:
            async with connection.transaction():
                await connection.execute("SET LOCAL session_replication_role = replica")
                await connection.execute(
                    "UPDATE lots SET expires_at = now() - $1::interval"
                    " WHERE member_id = (SELECT id FROM members WHERE card_number = $2)",
                    timedelta(seconds=1),
                    card,
                )
        finally:
            await connection.close()

    asyncio.run(age())
