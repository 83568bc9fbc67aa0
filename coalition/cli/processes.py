"""The long-running processes: the API server, the worker and the demo, and
the embedded servers' lifetime around them."""

from __future__ import annotations

import asyncio
import errno
import socket
from collections.abc import Callable

import click

from coalition.cli.running import load_settings, migrate_embedded
from coalition.platform.runtime.settings import Settings

PORT = click.IntRange(min=1, max=65535)


@click.command()
@click.option("--host", default=None, help="Default: COALITION_HOST or 127.0.0.1.")
@click.option("--port", type=PORT, default=None, help="Default: COALITION_PORT or 8000.")
@click.option(
    "--workers", type=click.IntRange(min=1), default=None, help="Server processes. Default: COALITION_WORKERS or 1."
)
def serve(host: str | None, port: int | None, workers: int | None) -> None:
    """Run the GraphQL API (migrating an embedded database first)."""
    from coalition.platform.runtime.embedded import resolved

    base = load_settings()
    if workers is not None:
        base = base.model_copy(update={"workers": workers})
    host, port = host or base.host, port or base.port
    refuse_a_port_in_use(host, port)
    with resolved(base) as settings:
        migrate_embedded(base, settings)
        serve_api(settings, host, port)


@click.command()
def worker() -> None:
    """Run the background jobs: nightly settlement, expiry, notices (arq)."""
    import logging

    from coalition.platform.runtime.embedded import resolved
    from coalition.worker import create_worker

    base = load_settings()
    with resolved(base) as settings:
        migrate_embedded(base, settings)
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        create_worker(settings).run()


@click.command()
@click.option("--port", type=PORT, default=None)
@click.option("--members", "member_count", type=click.IntRange(min=1), default=300, show_default=True)
@click.option("--days", type=click.IntRange(min=1, max=60), default=21, show_default=True)
def demo(port: int | None, member_count: int, days: int) -> None:
    """Migrate, seed a demo town with settled past days, start the API and print ready-to-use tokens."""
    from coalition.demo import SLUG, seed
    from coalition.demo_people import STAFF_PASSWORD
    from coalition.platform.runtime import migrate as migrations
    from coalition.platform.runtime.embedded import resolved

    base = load_settings()
    port = port or base.port
    refuse_a_port_in_use(base.host, port)
    with resolved(base) as resolved_settings:
        # The demo's portal: its links point here, its staff sign in to the demo town
        # without naming it, and its mails (sent nowhere) are read on /portal/dev/mail.
        demo_portal: dict[str, object] = {"development": True, "portal_coalition": SLUG}
        if "public_url" not in base.model_fields_set:
            demo_portal["public_url"] = f"http://{base.host}:{port}"
        settings = resolved_settings.model_copy(update=demo_portal)
        assert settings.database_url is not None
        migrations.upgrade(settings.database_url)
        town = asyncio.run(seed(settings, members=member_count, days=days))
        url = f"http://{settings.host}:{port}/graphql"

        def banner() -> None:
            click.echo("")
            click.echo(f"Coalition demo is running: {url}")
            for label, token in town.tokens.items():
                click.echo(f"  {label}: {token}")
            click.echo("")
            if town.settled_from and town.settled_through:
                period = f"{town.settled_from.isoformat()}..{town.settled_through.isoformat()}"
                click.echo(f"Settled and approved: {period}. Its payout file:")
                click.echo(f"  coalition payouts export --coalition demo --period {period} --out payouts.xml")
            click.echo(f"Programme terms: http://{settings.host}:{port}/terms/demo (?lang=nl)")
            click.echo(f"Partner portal: {settings.public_url}/portal/sign-in (password {STAFF_PASSWORD}), or a "
                       "one-time link (15 minutes; more from the sign-in page, read on /portal/dev/mail):")  # fmt: skip
            for person in town.staff:
                click.echo(f"  {person.label} {person.email}: {person.sign_in_url}")
                if person.totp_secret:
                    code = f"uv run python -c \"import pyotp; print(pyotp.TOTP('{person.totp_secret}').now())\""
                    click.echo(f"    authenticator secret {person.totp_secret}; the current code: {code}")
            if town.wallet:
                click.echo(
                    f"Members' wallet: {settings.public_url}/wallet/sign-in?coalition={SLUG} as {town.wallet.email}"
                    f" (card {town.wallet.card_number}), or this one-time link (10 minutes; new codes from the"
                    " sign-in page, read on /portal/dev/mail):"
                )
                click.echo(f"  {town.wallet.sign_in_url}")
            click.echo("Try the API:")
            click.echo(
                f"  curl -s {url} -H 'Authorization: Bearer {town.tokens['operator token']}' "
                "-H 'Content-Type: application/json' "
                """-d '{"query":"{ coalition { name pointsName partners { edges { node { name status } } } } }"}'"""
            )
            click.echo("")

        serve_api(settings, settings.host, port, banner)


def refuse_a_port_in_use(host: str, port: int) -> None:
    """Two servers on one port would share it (the server sets SO_REUSEPORT),
    each answering half the requests from its own database: refuse before
    anything starts. SO_REUSEADDR lets the probe past connections still
    closing from an earlier server, never past a live listener."""
    try:
        family, kind, protocol, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as error:
        raise click.BadParameter(f"cannot listen on {host!r}: {error.strerror}", param_hint=["--host"]) from None
    with socket.socket(family, kind, protocol) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise click.ClickException(
                    f"port {port} on {host} is already in use (another server?): "
                    "stop it, or choose another port with --port or COALITION_PORT"
                ) from None
            raise click.ClickException(f"cannot listen on {host}:{port}: {error.strerror}") from None


def serve_api(settings: Settings, host: str, port: int, banner: Callable[[], None] | None = None) -> None:
    """Serve the API with granian: ``settings.workers`` processes, each with
    its own event loop (uvloop) and connection pool. Workers read their
    settings from the environment, so the resolved server URLs go there."""
    import os
    import threading

    from granian import Granian
    from granian.constants import Interfaces, Loops

    from coalition.platform.runtime.metrics import multiprocess_metrics

    for name, value in settings.model_dump(exclude_none=True).items():
        os.environ[f"COALITION_{name.upper()}"] = str(value)
    server = Granian(
        "coalition.app:app_from_environment",
        factory=True,
        address=host,
        port=port,
        interface=Interfaces.ASGI,
        workers=settings.workers,
        loop=Loops.uvloop,
        # The app logs each request itself, structured; an access log would say it twice.
        log_access=False,
        backlog=2048,
    )
    if banner is not None:
        threading.Thread(target=_announce_when_live, args=(host, port, banner), daemon=True).start()
    # Every server process writes its counters to one folder, so /metrics adds them all up.
    with multiprocess_metrics():
        server.serve()


def _announce_when_live(host: str, port: int, banner: Callable[[], None]) -> None:
    import time
    import urllib.request

    for _ in range(600):
        try:
            with urllib.request.urlopen(f"http://{host}:{port}/health/live", timeout=1):
                banner()
                return
        except OSError:
            time.sleep(0.1)
