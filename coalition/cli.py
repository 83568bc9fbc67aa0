"""Composition root: the ``coalition`` command."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from coalition.platform.errors import DomainError
from coalition.platform.runtime.settings import Settings

if TYPE_CHECKING:
    from coalition.platform.runtime.database import AsyncSession

T = TypeVar("T")


def _settings() -> Settings:
    from pydantic import ValidationError

    try:
        return Settings()
    except ValidationError as invalid:
        problems = "; ".join(
            f"COALITION_{'_'.join(str(part) for part in error['loc']).upper()}: {error['msg']}"
            for error in invalid.errors()
        )
        raise click.ClickException(f"invalid setting: {problems}") from None


def _run(work: Callable[[Settings], Coroutine[Any, Any, T]]) -> T:
    """Run ``work`` against the configured servers, or embedded ones."""
    from coalition.platform.runtime.embedded import resolved

    base = _settings()
    with resolved(base) as settings:
        _migrate_embedded(base, settings)
        return asyncio.run(work(settings))


def _migrate_embedded(base: Settings, settings: Settings) -> None:
    """The embedded database is ours to keep current; a configured one is
    migrated only by ``coalition db upgrade``, when its operator decides."""
    from coalition.platform.runtime import migrate as migrations

    assert settings.database_url is not None
    if base.database_url is None:
        migrations.upgrade(settings.database_url)
    elif migrations.pending(settings.database_url):
        raise click.ClickException("the database schema is not current: run `coalition db upgrade` first")


def _in_session(use: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run one use case in one committed transaction; a refusal exits 2 with its code."""

    async def work(settings: Settings) -> T:
        return await _with_session(settings, use)

    try:
        return _run(work)
    except DomainError as error:
        _fail(error)


async def _with_session(settings: Settings, use: Callable[[AsyncSession], Awaitable[T]]) -> T:
    from coalition.platform.runtime.database import create_engine, create_sessionmaker

    assert settings.database_url is not None
    engine = create_engine(settings.database_url, pool_size=2)
    try:
        async with create_sessionmaker(engine).begin() as session:
            return await use(session)
    finally:
        await engine.dispose()


def _emit(data: dict[str, Any], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(data, default=str))
    else:
        for key, value in data.items():
            click.echo(f"{key}: {value}")


def _fail(error: DomainError) -> NoReturn:
    click.echo(f"error {error.code}: {error.message}", err=True)
    sys.exit(2)


@click.group()
def main() -> None:
    """Coalition: one loyalty points currency shared by many local shops.

    With no COALITION_DATABASE_URL / COALITION_REDIS_URL, commands start an
    embedded PostgreSQL and Valkey under COALITION_DATA_DIR (./.coalition).
    """
    # SIGTERM (a service manager, `kill`) ends the process through SystemExit,
    # so the last user of the embedded servers still stops them on its way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))


@main.command()
@click.option("--host", default=None, help="Default: COALITION_HOST or 127.0.0.1.")
@click.option("--port", type=int, default=None, help="Default: COALITION_PORT or 8000.")
@click.option(
    "--workers", type=click.IntRange(min=1), default=None, help="Server processes. Default: COALITION_WORKERS or 1."
)
def serve(host: str | None, port: int | None, workers: int | None) -> None:
    """Run the GraphQL API (migrating an embedded database first)."""
    from coalition.platform.runtime.embedded import resolved

    base = _settings()
    if workers is not None:
        base = base.model_copy(update={"workers": workers})
    with resolved(base) as settings:
        _migrate_embedded(base, settings)
        _serve(settings, host or settings.host, port or settings.port)


@main.command()
def worker() -> None:
    """Run the background jobs: nightly settlement, expiry, notices (arq)."""
    import logging

    from coalition.platform.runtime.embedded import resolved
    from coalition.worker import create_worker

    base = _settings()
    with resolved(base) as settings:
        _migrate_embedded(base, settings)
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        create_worker(settings).run()


def _serve(settings: Settings, host: str, port: int, banner: Callable[[], None] | None = None) -> None:
    """Serve the API with granian: ``settings.workers`` processes, each with
    its own event loop (uvloop) and connection pool. Workers read their
    settings from the environment, so the resolved server URLs go there."""
    import os
    import threading

    from granian import Granian
    from granian.constants import Interfaces, Loops

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


@main.command("export-schema")
def export_schema() -> None:
    """Print the GraphQL schema (SDL), as checked in as schema.graphql."""
    from coalition.graphql.schema import create_schema

    click.echo(create_schema().as_str())


@main.group()
def db() -> None:
    """Database schema."""


@db.command()
def upgrade() -> None:
    """Apply all migrations."""
    from coalition.platform.runtime import migrate as migrations
    from coalition.platform.runtime.embedded import resolved

    with resolved(_settings()) as settings:
        assert settings.database_url is not None
        migrations.upgrade(settings.database_url)
    click.echo("database is up to date")


@main.group()
def admin() -> None:
    """Coalitions, partners and credentials."""


@admin.command("create-coalition")
@click.option("--slug", required=True)
@click.option("--name", required=True)
@click.option("--currency", required=True, help="ISO 4217, e.g. EUR.")
@click.option("--point-value", required=True, help="Money per point, e.g. 0.01.")
@click.option("--timezone", required=True, help="IANA zone, e.g. Europe/Amsterdam.")
@click.option("--points-name", default=None)
@click.option("--pending-days", type=int, default=0, show_default=True)
@click.option("--expiry-months", type=int, default=24, show_default=True, help="0: never expire.")
@click.option("--json", "as_json", is_flag=True)
def create_coalition(
    slug: str, name: str, currency: str, point_value: str, timezone: str,
    points_name: str | None, pending_days: int, expiry_months: int, as_json: bool,
) -> None:  # fmt: skip
    """Create a coalition and print its first operator token."""
    from coalition.platform.coalitions.service import create_coalition as create

    async def use(session: AsyncSession) -> dict[str, Any]:
        record, token = await create(
            session, slug=slug, name=name, currency=currency.upper(), point_value=point_value,
            timezone=timezone, points_name=points_name, pending_days=pending_days,
            expiry_months=expiry_months or None,
        )  # fmt: skip
        return {"id": str(record.id), "slug": record.slug, "operatorToken": token}

    _emit(_in_session(use), as_json)


async def _coalition_id(session: AsyncSession, slug: str) -> uuid.UUID:
    from coalition.platform.coalitions.repository import coalition_by_slug

    record = await coalition_by_slug(session, slug)
    if record is None:
        raise click.ClickException(f"no coalition {slug!r}")
    return record.id


@admin.command("operator-token")
@click.option("--coalition", "slug", required=True)
@click.option("--json", "as_json", is_flag=True)
def operator_token(slug: str, as_json: bool) -> None:
    """Issue another operator token."""
    from coalition.platform.auth.service import issue
    from coalition.platform.auth.tokens import CredentialKind

    async def use(session: AsyncSession) -> dict[str, Any]:
        coalition_id = await _coalition_id(session, slug)
        _, token = await issue(session, coalition_id=coalition_id, kind=CredentialKind.OPERATOR)
        return {"token": token}

    _emit(_in_session(use), as_json)


@admin.command("member-token")
@click.option("--coalition", "slug", required=True)
@click.option("--card", required=True)
@click.option("--json", "as_json", is_flag=True)
def member_token(slug: str, card: str, as_json: bool) -> None:
    """Issue a token for the member with this card (for the wallet app)."""
    from coalition.platform.auth.service import issue
    from coalition.platform.auth.tokens import CredentialKind
    from coalition.platform.members.repository import member_by_card

    async def use(session: AsyncSession) -> dict[str, Any]:
        coalition_id = await _coalition_id(session, slug)
        member = await member_by_card(session, coalition_id, card)
        if member is None:
            raise click.ClickException(f"no member with card {card!r}")
        _, token = await issue(session, coalition_id=coalition_id, kind=CredentialKind.MEMBER, member_id=member.id)
        return {"token": token}

    _emit(_in_session(use), as_json)


@admin.command("create-partner")
@click.option("--coalition", "slug", required=True)
@click.option("--name", required=True)
@click.option("--earn-rate", required=True, help="Points per 1.00 spent.")
@click.option("--iban", default=None)
@click.option("--activate", is_flag=True, help="Make it ACTIVE at once.")
@click.option("--json", "as_json", is_flag=True)
def create_partner(slug: str, name: str, earn_rate: str, iban: str | None, activate: bool, as_json: bool) -> None:
    """Create a partner and print its MANAGER API key."""
    from coalition.partners import lifecycle as partners
    from coalition.platform.auth.service import Principal

    rate = _decimal(earn_rate, "--earn-rate")

    async def use(session: AsyncSession) -> dict[str, Any]:
        coalition_id = await _coalition_id(session, slug)
        cli = Principal.local_operator(coalition_id, via="coalition admin create-partner")
        partner, key = await partners.create_partner(session, cli, name=name, earn_rate_per_unit=rate, iban=iban)
        if activate:
            partner = await partners.set_status(session, cli, partner.id, "ACTIVE")
        return {"id": str(partner.id), "status": partner.status, "apiKey": key}

    _emit(_in_session(use), as_json)


@admin.command("api-key")
@click.option("--coalition", "slug", required=True)
@click.option("--partner", "partner_id", required=True, help="The partner's id.")
@click.option("--role", type=click.Choice(["POS", "MANAGER"]), default="POS", show_default=True)
@click.option("--label", default=None, help="E.g. which till.")
@click.option("--json", "as_json", is_flag=True)
def api_key(slug: str, partner_id: str, role: str, label: str | None, as_json: bool) -> None:
    """Issue an API key for a partner (shown once)."""
    from coalition.partners import lifecycle as partners
    from coalition.platform.auth.service import Principal
    from coalition.platform.auth.tokens import PartnerRole

    async def use(session: AsyncSession) -> dict[str, Any]:
        coalition_id = await _coalition_id(session, slug)
        cli = Principal.local_operator(coalition_id, via="coalition admin api-key")
        credential_id, key = await partners.issue_api_key(session, cli, _uuid(partner_id), PartnerRole(role), label)
        return {"id": str(credential_id), "apiKey": key}

    _emit(_in_session(use), as_json)


@admin.command("revoke")
@click.option("--coalition", "slug", required=True)
@click.option("--credential", "credential_id", required=True, help="The credential's id.")
def revoke(slug: str, credential_id: str) -> None:
    """Revoke a key or token; running API processes refuse it at once."""
    from redis.asyncio import Redis

    from coalition.platform.auth.service import Principal
    from coalition.platform.auth.service import revoke as revoke_credential
    from coalition.platform.runtime.broadcasts import announce

    target = _uuid(credential_id)

    async def work(settings: Settings) -> bool:
        async def use(session: AsyncSession) -> bool:
            cli = Principal.local_operator(await _coalition_id(session, slug), via="coalition admin revoke")
            return await revoke_credential(session, cli, target)

        revoked = await _with_session(settings, use)
        if revoked:
            assert settings.redis_url is not None
            redis = Redis.from_url(settings.redis_url)
            try:
                await announce(redis)
            finally:
                await redis.aclose()
        return revoked

    if not _run(work):
        raise click.ClickException(f"no active credential {credential_id} in {slug!r}")
    click.echo("revoked")


def _decimal(value: str, option: str) -> Decimal:
    try:
        return Decimal(value)
    except InvalidOperation as exc:
        raise click.BadParameter(f"not a number: {value}", param_hint=option) from exc


def _uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise click.BadParameter(f"not an id: {value}") from exc


@main.group()
def ledger() -> None:
    """The points ledger."""


@ledger.command()
@click.option("--coalition", "slug", default=None, help="Only this coalition.")
def verify(slug: str | None) -> None:
    """Check every ledger invariant; exit 1 naming each violation."""
    from coalition.platform.ledger.verify import verify as run_checks

    async def use(session: AsyncSession) -> list[str]:
        from coalition.settlement.service import unbalanced_runs

        coalition_id = await _coalition_id(session, slug) if slug else None
        return await run_checks(session, coalition_id) + await unbalanced_runs(session, coalition_id)

    violations = _in_session(use)
    for violation in violations:
        click.echo(violation)
    if violations:
        click.echo(f"{len(violations)} violation(s)", err=True)
        sys.exit(1)
    click.echo("ledger is consistent: all invariants hold")


@main.command()
@click.option("--coalition", "slug", required=True)
@click.option("--date", "first", required=True, help="Business date (YYYY-MM-DD).")
@click.option("--through", "last", default=None, help="Settle every day from --date through this one, in order.")
def settle(slug: str, first: str, last: str | None) -> None:
    """Settle business days: one run per day, safe to repeat; an open day is provisional."""
    from datetime import date as date_type
    from datetime import timedelta

    from coalition.settlement.service import run_day

    def parse(value: str, option: str) -> date_type:
        try:
            return date_type.fromisoformat(value)
        except ValueError as exc:
            raise click.BadParameter(f"not a date: {value}", param_hint=option) from exc

    start = parse(first, "--date")
    end = parse(last, "--through") if last else start
    if end < start:
        raise click.BadParameter("must not be before --date", param_hint="--through")
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]

    async def work(settings: Settings) -> list[str]:
        from coalition.platform.runtime.database import create_engine, create_sessionmaker

        assert settings.database_url is not None
        engine = create_engine(settings.database_url, pool_size=2)
        done = []
        try:
            sessions = create_sessionmaker(engine)
            with click.progressbar(days, label="settling", file=sys.stderr, show_pos=True) as bar:
                for day in bar:  # in date order: each day commits on its own
                    async with sessions.begin() as session:
                        run = await run_day(session, await _coalition_id(session, slug), day)
                    done.append(f"{day.isoformat()} {run.status}")
        finally:
            await engine.dispose()
        return done

    try:
        outcomes = _run(work)
    except DomainError as error:
        _fail(error)
    for outcome in outcomes:
        click.echo(outcome)


@main.group()
def payouts() -> None:
    """Payout periods: approved days summed per partner."""


@payouts.command("export")
@click.option("--coalition", "slug", required=True)
@click.option("--period", required=True, help="START..END, e.g. 2026-11-01..2026-11-30 (approved days only).")
@click.option("--execution-date", "execution", default=None, help="When the bank should pay (default: today).")
@click.option("--out", type=click.Path(dir_okay=False, writable=True), required=True, help="The pain.001 file.")
def payouts_export(slug: str, period: str, execution: str | None, out: str) -> None:
    """Write the SEPA credit transfers (pain.001.001.03) for the partners owed money."""
    from datetime import date as date_type
    from pathlib import Path

    from coalition.platform.money import to_major
    from coalition.settlement.documents import sepa_document

    try:
        start_text, end_text = period.split("..")
        start, end = date_type.fromisoformat(start_text), date_type.fromisoformat(end_text)
        when = date_type.fromisoformat(execution) if execution else date_type.today()
    except ValueError as exc:
        raise click.BadParameter("expected START..END dates (YYYY-MM-DD..YYYY-MM-DD)", param_hint="--period") from exc

    async def use(session: AsyncSession) -> Any:
        return await sepa_document(session, await _coalition_id(session, slug), start, end, when)

    document, summary = _in_session(use)
    Path(out).write_bytes(document.content)
    for line in summary.payable:
        click.echo(f"pay {line.name}: {to_major(line.net_minor, 'EUR')} to {line.iban}")
    for line in summary.lines:
        if line.problem:
            click.echo(f"NOT PAID {line.name}: {to_major(line.net_minor, 'EUR')} ({line.problem})")
        elif line.net_minor < 0:
            click.echo(f"owes the coalition {line.name}: {to_major(-line.net_minor, 'EUR')}")
    if summary.unapproved_days:
        click.echo(f"not approved, left out: {', '.join(d.isoformat() for d in summary.unapproved_days)}")
    click.echo(f"written {out}")


@main.command()
@click.option("--coalition", "slug", required=True)
@click.option("--date", "day", required=True)
@click.option("--partner", "partner", required=True, help="The partner's id.")
@click.option("--format", "kind", type=click.Choice(["csv", "pdf"]), default="pdf", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, writable=True), required=True)
def statement(slug: str, day: str, partner: str, kind: str, out: str) -> None:
    """Write a partner's settlement statement for one day."""
    from datetime import date as date_type
    from pathlib import Path

    from coalition.settlement.documents import statement_document

    try:
        on = date_type.fromisoformat(day)
    except ValueError as exc:
        raise click.BadParameter(f"not a date: {day}", param_hint="--date") from exc

    async def use(session: AsyncSession) -> Any:
        return await statement_document(session, await _coalition_id(session, slug), on, _uuid(partner), kind.upper())

    document = _in_session(use)
    Path(out).write_bytes(document.content)
    click.echo(f"written {out}")


@main.group()
def programme() -> None:
    """The programme's daily work."""


@programme.command("review-tiers")
@click.option("--coalition", "slug", required=True)
@click.option("--date", "day", default=None, help="Business date to review as (default: today).")
def review_tiers(slug: str, day: str | None) -> None:
    """Move every member to the tier their window earns them (safe to run twice)."""
    from datetime import date as date_type

    from coalition.platform.programme.service import review_tiers as review

    try:
        as_of = date_type.fromisoformat(day) if day else None
    except ValueError as exc:
        raise click.BadParameter(f"not a date: {day}", param_hint="--date") from exc

    async def use(session: AsyncSession) -> int:
        from datetime import datetime
        from zoneinfo import ZoneInfo

        from coalition.platform.coalitions.repository import coalition_by_id

        coalition = await coalition_by_id(session, await _coalition_id(session, slug))
        assert coalition is not None
        today = as_of or datetime.now(ZoneInfo(coalition.timezone)).date()
        return await review(session, coalition.id, today)

    changed = _in_session(use)
    click.echo(f"{changed} member(s) changed tier")


@main.command()
@click.option("--port", type=int, default=None)
@click.option("--members", "member_count", type=int, default=300, show_default=True)
@click.option("--days", type=int, default=21, show_default=True)
def demo(port: int | None, member_count: int, days: int) -> None:
    """Migrate, seed a demo town, start the API and print ready-to-use tokens."""
    from coalition.demo import seed
    from coalition.platform.runtime import migrate as migrations
    from coalition.platform.runtime.embedded import resolved

    with resolved(_settings()) as settings:
        assert settings.database_url is not None
        migrations.upgrade(settings.database_url)
        tokens = asyncio.run(seed(settings, members=member_count, days=days))
        url = f"http://{settings.host}:{port or settings.port}/graphql"

        def banner() -> None:
            click.echo("")
            click.echo(f"Coalition demo is running: {url}")
            for label, token in tokens.items():
                click.echo(f"  {label}: {token}")
            click.echo("")
            click.echo("Try:")
            click.echo(
                f"  curl -s {url} -H 'Authorization: Bearer {tokens['operator token']}' "
                "-H 'Content-Type: application/json' "
                """-d '{"query":"{ coalition { name pointsName partners { edges { node { name status } } } } }"}'"""
            )
            click.echo(f"Programme terms: http://{settings.host}:{port or settings.port}/terms/demo (?lang=nl)")
            click.echo("")

        _serve(settings, settings.host, port or settings.port, banner)
