"""Composition root: the ``coalition`` command. One module per command group;
``running`` is how each of them runs."""

from __future__ import annotations

import signal
import sys

import click

from coalition.cli.admin import admin
from coalition.cli.db import db
from coalition.cli.importing import import_group
from coalition.cli.insights import insights
from coalition.cli.ledger import ledger
from coalition.cli.processes import demo, serve, worker
from coalition.cli.programme import programme
from coalition.cli.schema import export_schema
from coalition.cli.settlement import payouts, settle, statement


@click.group()
def main() -> None:
    """Coalition: one loyalty points currency shared by many local shops.

    With no COALITION_DATABASE_URL / COALITION_REDIS_URL, commands start an
    embedded PostgreSQL and Valkey under COALITION_DATA_DIR (./.coalition).
    """
    # SIGTERM (a service manager, `kill`) ends the process through SystemExit,
    # so the last user of the embedded servers still stops them on its way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))


for command in (
    serve,
    worker,
    export_schema,
    db,
    admin,
    ledger,
    settle,
    payouts,
    statement,
    programme,
    demo,
    import_group,
    insights,
):
    main.add_command(command)
