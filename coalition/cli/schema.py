"""``coalition export-schema``: the public API's contract."""

from __future__ import annotations

import click


@click.command("export-schema")
def export_schema() -> None:
    """Print the GraphQL schema (SDL), as checked in as schema.graphql."""
    from coalition.graphql.schema import create_schema

    click.echo(create_schema().as_str())
