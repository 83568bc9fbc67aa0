"""Composition root of the background jobs: ``coalition worker`` runs arq
with these cron jobs against the configured (or embedded) Redis.

- ``nightly`` (every few minutes, and at start-up): for every coalition,
  settle each closed day not yet settled, in date order; expire lots whose
  time has come; write "points expiring within 30 days" notices; review
  tiers. Each step is idempotent, so a late or repeated run is harmless and a
  missed night is caught up.
- ``deliver_notices`` (every minute): send the outbox to the webhook, signed.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any
from zoneinfo import ZoneInfo

from arq import cron
from arq.connections import RedisSettings
from arq.worker import Worker
from sqlalchemy import select

from coalition.platform.coalitions.tables import coalitions
from coalition.platform.ledger.service import expire_due
from coalition.platform.notices import service as notices
from coalition.platform.programme.service import review_tiers
from coalition.platform.runtime.database import create_engine, create_sessionmaker
from coalition.platform.runtime.settings import Settings
from coalition.settlement.tasks import settle_closed_days

_log = logging.getLogger("coalition.worker")
REDIS_WAIT_ATTEMPTS = 10**9  # two seconds apart: indefinitely


async def startup(ctx: dict[str, Any]) -> None:
    settings: Settings = ctx["settings"]
    assert settings.database_url is not None
    ctx["engine"] = create_engine(settings.database_url, pool_size=4)


async def shutdown(ctx: dict[str, Any]) -> None:
    await ctx["engine"].dispose()


async def nightly(ctx: dict[str, Any]) -> dict[str, Any]:
    engine = ctx["engine"]
    async with engine.connect() as connection:
        rows = (await connection.execute(select(coalitions.c.id, coalitions.c.timezone))).all()
    report: dict[str, Any] = {}
    for coalition_id, timezone in rows:
        await nightly_for(ctx, coalition_id, timezone, report)
    return report


async def nightly_for(ctx: dict[str, Any], coalition_id: Any, timezone: str, report: dict[str, Any]) -> None:
    from datetime import UTC, datetime

    engine = ctx["engine"]
    expired = await expire_due(engine, coalition_id)
    settled = await settle_closed_days(engine, coalition_id)
    async with create_sessionmaker(engine).begin() as session:
        written = await notices.write_expiring(session, coalition_id)
        changed = await review_tiers(session, coalition_id, datetime.now(ZoneInfo(timezone)).date())
    report[str(coalition_id)] = {
        "settled": [day.isoformat() for day in settled],
        "expired": {"members": expired[0], "points": expired[1]},
        "notices": written,
        "tiers_changed": changed,
        "at": datetime.now(UTC).isoformat(),
    }
    _log.info("nightly %s: %s", coalition_id, report[str(coalition_id)])


async def deliver_notices(ctx: dict[str, Any]) -> dict[str, int]:
    settings: Settings = ctx["settings"]
    if not settings.webhook_url:
        return {"sent": 0, "failed": 0}
    delivery = await notices.deliver(ctx["engine"], settings.webhook_url, settings.webhook_secret)
    return {"sent": delivery.sent, "failed": delivery.failed}


def create_worker(settings: Settings, **overrides: Any) -> Worker:
    """An arq worker for ``settings`` (its URLs must be set by now)."""
    assert settings.redis_url is not None
    every = settings.worker_interval_minutes
    options: dict[str, Any] = {
        "functions": [nightly, deliver_notices],
        "cron_jobs": [
            cron(nightly, minute=set(range(0, 60, every)), run_at_startup=True, unique=True, timeout=3600),
            cron(deliver_notices, second=30, unique=True, timeout=300),
        ],
        "on_startup": startup,
        "on_shutdown": shutdown,
        # Without Redis the worker waits for it (logging each attempt) rather
        # than exit: the jobs catch up when it returns, postings never needed it.
        "redis_settings": replace(
            RedisSettings.from_dsn(settings.redis_url), conn_retries=REDIS_WAIT_ATTEMPTS, conn_retry_delay=2
        ),
        "ctx": {"settings": settings},
        "handle_signals": True,
        "max_jobs": 4,
        "keep_result": 3600,
        **overrides,
    }
    return Worker(**options)
