"""``coalition db``: the database itself (its schema; backup and restore belong here too)."""

from __future__ import annotations

import click

from coalition.cli.running import load_settings


@click.group()
def db() -> None:
    """Database schema."""


@db.command()
def upgrade() -> None:
    """Apply all migrations."""
    from coalition.platform.runtime import migrate as migrations
    from coalition.platform.runtime.embedded import resolved

    with resolved(load_settings()) as settings:
        assert settings.database_url is not None
        migrations.upgrade(settings.database_url)
    click.echo("database is up to date")
