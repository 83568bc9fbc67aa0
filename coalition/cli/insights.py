"""``coalition insights``: the insights' daily rollups by hand (the worker keeps them up to date)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from coalition.cli.running import emit, run

if TYPE_CHECKING:
    from coalition.platform.runtime.settings import Settings


@click.group()
def insights() -> None:
    """What the programme is doing for each shop."""


@insights.command()
@click.option("--coalition", "slug", default=None, help="Only this coalition.")
@click.option("--json", "as_json", is_flag=True)
def rollup(slug: str | None, as_json: bool) -> None:
    """Catch the daily rollups up with new purchases and postings (safe to run any time, and twice)."""

    async def work(settings: Settings) -> dict[str, object]:
        return await roll_up_with(settings, slug)

    summary = run(work)
    emit(summary, as_json=as_json)


async def roll_up_with(settings: Settings, slug: str | None) -> dict[str, object]:
    from coalition.cli.running import coalition_id
    from coalition.insights.rollup import roll_up
    from coalition.platform.runtime.database import create_engine, create_sessionmaker

    assert settings.database_url is not None
    engine = create_engine(settings.database_url, pool_size=2)
    try:
        chosen = None
        if slug is not None:
            async with create_sessionmaker(engine).begin() as session:
                chosen = await coalition_id(session, slug)
        report = await roll_up(engine, chosen)
        return report.summary()
    finally:
        await engine.dispose()
