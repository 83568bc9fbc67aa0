"""``coalition programme``: the programme's daily work."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from coalition.cli.running import coalition_id, parse_date, use_case

if TYPE_CHECKING:
    from coalition.platform.runtime.database import AsyncSession


@click.group()
def programme() -> None:
    """The programme's daily work."""


@programme.command("review-tiers")
@click.option("--coalition", "slug", required=True)
@click.option("--date", "day", default=None, help="Business date to review as (default: today).")
def review_tiers(slug: str, day: str | None) -> None:
    """Move every member to the tier their window earns them (safe to run twice)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from coalition.platform.coalitions.repository import coalition_by_id
    from coalition.platform.programme.service import review_tiers as review

    as_of = parse_date(day, "--date") if day else None

    async def use(session: AsyncSession) -> int:
        coalition = await coalition_by_id(session, await coalition_id(session, slug))
        assert coalition is not None
        today = as_of or datetime.now(ZoneInfo(coalition.timezone)).date()
        return await review(session, coalition.id, today)

    changed = use_case(use)
    click.echo(f"{changed} member(s) changed tier")
