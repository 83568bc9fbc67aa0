"""``coalition ledger``: the points ledger's own checks."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from coalition.cli.running import coalition_id, use_case

if TYPE_CHECKING:
    from coalition.platform.runtime.database import AsyncSession


@click.group()
def ledger() -> None:
    """The points ledger."""


@ledger.command()
@click.option("--coalition", "slug", default=None, help="Only this coalition.")
def verify(slug: str | None) -> None:
    """Check every ledger invariant; exit 1 naming each violation."""
    from coalition.platform.ledger.verify import verify as run_checks
    from coalition.settlement.service import unbalanced_runs

    async def use(session: AsyncSession) -> list[str]:
        coalition = await coalition_id(session, slug) if slug else None
        return await run_checks(session, coalition) + await unbalanced_runs(session, coalition)

    violations = use_case(use)
    for violation in violations:
        click.echo(violation)
    if violations:
        click.echo(f"{len(violations)} violation(s)", err=True)
        sys.exit(1)
    click.echo("ledger is consistent: all invariants hold")
