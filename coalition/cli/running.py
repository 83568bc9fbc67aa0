"""How every command runs: settings, the servers (configured or embedded),
one committed unit of work per use case, and how refusals and bad options
are reported."""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from coalition.platform.errors import DomainError
from coalition.platform.runtime.settings import Settings

if TYPE_CHECKING:
    from coalition.platform.runtime.database import AsyncSession

T = TypeVar("T")


def load_settings() -> Settings:
    from pydantic import ValidationError

    try:
        return Settings()
    except ValidationError as invalid:
        problems = "; ".join(
            f"COALITION_{'_'.join(str(part) for part in error['loc']).upper()}: {error['msg']}"
            for error in invalid.errors()
        )
        raise click.ClickException(f"invalid setting: {problems}") from None


def run(work: Callable[[Settings], Coroutine[Any, Any, T]], options: Mapping[str, str] | None = None) -> T:
    """Run ``work`` against the configured servers, or embedded ones. A
    refusal exits 2 with its code, naming the option behind the refused
    field (``options`` maps the service's field names to the command's options)."""
    from coalition.platform.runtime.embedded import resolved

    base = load_settings()
    with resolved(base) as settings:
        migrate_embedded(base, settings)
        try:
            return asyncio.run(work(settings))
        except DomainError as error:
            fail(error, options)


def migrate_embedded(base: Settings, settings: Settings) -> None:
    """The embedded database is ours to keep current; a configured one is
    migrated only by ``coalition db upgrade``, when its operator decides."""
    from coalition.platform.runtime import migrate as migrations

    assert settings.database_url is not None
    if base.database_url is None:
        migrations.upgrade(settings.database_url)
    elif migrations.pending(settings.database_url):
        raise click.ClickException("the database schema is not current: run `coalition db upgrade` first")


def use_case(use: Callable[[AsyncSession], Awaitable[T]], options: Mapping[str, str] | None = None) -> T:
    """Run one use case in one unit of work: committed here and only here,
    then what it changed is announced to the running API processes."""

    async def work(settings: Settings) -> T:
        return await use_case_with(settings, use)

    return run(work, options)


async def use_case_with(settings: Settings, use: Callable[[AsyncSession], Awaitable[T]]) -> T:
    from redis.asyncio import Redis

    from coalition.platform.runtime.database import create_engine, create_sessionmaker
    from coalition.platform.runtime.unit_of_work import unit_of_work

    assert settings.database_url is not None
    assert settings.redis_url is not None
    engine = create_engine(settings.database_url, pool_size=2)
    redis = Redis.from_url(settings.redis_url)  # connects only if there is something to announce
    try:
        async with unit_of_work(create_sessionmaker(engine), redis) as session:
            return await use(session)
    finally:
        await redis.aclose()
        await engine.dispose()


def emit(data: dict[str, Any], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(data, default=str))
    else:
        for key, value in data.items():
            click.echo(f"{key}: {value}")


def fail(error: DomainError, options: Mapping[str, str] | None = None) -> NoReturn:
    option = (options or {}).get(error.field[-1]) if error.field else None
    click.echo(f"error {error.code}: {f'{option}: ' if option else ''}{error.message}", err=True)
    sys.exit(2)


async def coalition_id(session: AsyncSession, slug: str) -> uuid.UUID:
    from coalition.platform.coalitions.repository import coalition_by_slug

    record = await coalition_by_slug(session, slug)
    if record is None:
        raise click.BadParameter(f"no coalition {slug!r}", param_hint=["--coalition"])
    return record.id


def parse_decimal(value: str, option: str) -> Decimal:
    try:
        return Decimal(value)
    except InvalidOperation as exc:
        raise click.BadParameter(f"not a number: {value}", param_hint=[option]) from exc


def parse_id(value: str, option: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise click.BadParameter(f"not an id: {value}", param_hint=[option]) from exc


def parse_date(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"not a date (YYYY-MM-DD): {value}", param_hint=[option]) from exc
