"""``coalition db``: the database itself (its schema; backup and restore belong here too)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import click

from coalition.cli.running import load_settings
from coalition.platform.runtime.embedded import resolved


@click.group()
def db() -> None:
    """The database: its schema, backups and restores."""


@db.command()
def upgrade() -> None:
    """Apply all migrations."""
    from coalition.platform.runtime import migrate as migrations

    with resolved(load_settings()) as settings:
        assert settings.database_url is not None
        migrations.upgrade(settings.database_url)
    click.echo("database is up to date")


@db.command()
@click.argument("destination", type=click.Path(dir_okay=False, writable=True, path_type=Path))
def backup(destination: Path) -> None:
    """Write the whole database to DESTINATION (pg_dump's custom format)."""
    from coalition.platform.runtime import backup as backups

    if not destination.parent.is_dir():
        raise click.BadParameter(f"the folder {destination.parent} does not exist", param_hint="'DESTINATION'")
    with resolved(load_settings()) as settings:
        assert settings.database_url is not None
        _report(lambda: backups.backup(settings.database_url or "", destination))
    click.echo(f"backed up to {destination}")


@db.command()
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
def restore(source: Path) -> None:
    """Restore a backup into an empty database (for the embedded one: a new data folder)."""
    from coalition.platform.runtime import backup as backups

    with resolved(load_settings()) as settings:
        assert settings.database_url is not None
        _report(lambda: backups.restore(settings.database_url or "", source))
    click.echo(f"restored from {source}; run `coalition ledger verify` to check it")


@db.command()
def distribute() -> None:
    """Lay the schema out over a Citus cluster: the ledger by member, configuration as reference tables."""
    from coalition.platform.runtime.distribute import DistributeError
    from coalition.platform.runtime.distribute import distribute as lay_out

    with resolved(load_settings()) as settings:
        assert settings.database_url is not None
        try:
            layout = lay_out(settings.database_url)
        except DistributeError as error:
            click.echo(f"error {error.code}: {error.message}", err=True)
            sys.exit(2)
    click.echo(
        f"distributed by member: {', '.join(layout.by_member)}; by scope: {', '.join(layout.scoped)}; "
        f"reference tables: {', '.join(layout.reference)}; {layout.workers} workers"
    )


def _report(work: Callable[[], None]) -> None:
    from coalition.platform.runtime.backup import BackupError

    try:
        work()
    except BackupError as error:
        click.echo(f"error {error.code}: {error.message}", err=True)
        sys.exit(2)
