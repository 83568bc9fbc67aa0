"""Composition root of the background jobs: ``coalition worker`` runs arq
with these cron jobs against the configured (or embedded) Redis.

- ``nightly`` (every few minutes, and at start-up): the catch-up of
  :mod:`coalition.settlement.tasks`: lots past their expiry, closed days
  not yet settled, notices, tier reviews, for the coalitions that need them.
- ``deliver_notices`` (every minute, and at start-up): send the outbox to the webhook, signed.
- ``send_mail`` (every minute, and at start-up): send the due e-mails of the outbox over SMTP.
- ``apply_retention`` (hourly): what identifies purchases older than each
  coalition's retention setting (basket lines, receipt references) goes.
- ``insights_rollup`` (with ``nightly``'s interval, and at start-up): the
  insights' daily rollups caught up with new purchases and postings.
- ``draw_audiences`` (every minute): aimed campaigns that have started get
  their audience and holdout drawn (until then no member gets them).

Told to stop (SIGTERM, SIGINT), the worker takes no new job, lets the
running one finish its current step and return, and exits 0. A job still
running after the grace period is cancelled: its open transaction rolls
back, and the next run does that step again.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from signal import Signals
from typing import Any

from arq import cron
from arq.connections import RedisSettings
from arq.worker import Worker
from sqlalchemy.engine import make_url

from coalition.insights import campaign_experiments
from coalition.insights.rollup import roll_up
from coalition.platform.members import privacy
from coalition.platform.notices import service as notices
from coalition.platform.outbox import service as outbox
from coalition.platform.outbox.smtp import SmtpSender
from coalition.platform.runtime.database import create_engine, create_sessionmaker
from coalition.platform.runtime.logging import configure_logging
from coalition.platform.runtime.settings import Settings
from coalition.platform.runtime.unit_of_work import unit_of_work
from coalition.settlement.tasks import catch_up

REDIS_WAIT_ATTEMPTS = 10**9  # two seconds apart: indefinitely
SHUTDOWN_GRACE_SECONDS = 20
Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


async def startup(ctx: dict[str, Any]) -> None:
    settings: Settings = ctx["settings"]
    assert settings.database_url is not None
    ctx["engine"] = create_engine(settings.database_url, pool_size=4)


async def shutdown(ctx: dict[str, Any]) -> None:
    await ctx["engine"].dispose()


async def nightly(ctx: dict[str, Any]) -> dict[str, Any]:
    clock: Clock = ctx["clock"]
    stopping: asyncio.Event = ctx["stopping"]
    report = await catch_up(ctx["engine"], clock(), stopping=stopping.is_set)
    return report.summary()


async def insights_rollup(ctx: dict[str, Any]) -> dict[str, object]:
    stopping: asyncio.Event = ctx["stopping"]
    report = await roll_up(ctx["engine"], stopping=stopping.is_set)
    return report.summary()


async def deliver_notices(ctx: dict[str, Any]) -> dict[str, int]:
    settings: Settings = ctx["settings"]
    if not settings.webhook_url:
        return {"sent": 0, "failed": 0}
    delivery = await notices.deliver(ctx["engine"], settings.webhook_url, settings.webhook_secret)
    return {"sent": delivery.sent, "failed": delivery.failed}


async def send_mail(ctx: dict[str, Any]) -> dict[str, int]:
    settings: Settings = ctx["settings"]
    if not settings.smtp_url:
        return {"sent": 0, "failed": 0}
    clock: Clock = ctx["clock"]
    sending = await outbox.send_due(ctx["engine"], SmtpSender(settings.smtp_url, settings.mail_from), clock())
    return {"sent": sending.sent, "failed": sending.failed}


async def apply_retention(ctx: dict[str, Any]) -> dict[str, int]:
    clock: Clock = ctx["clock"]
    async with unit_of_work(create_sessionmaker(ctx["engine"])) as session:
        done = await privacy.apply_retention(session, clock())
    return {"lines": sum(d.lines for d in done), "receipts": sum(d.receipts for d in done)}


async def draw_audiences(ctx: dict[str, Any]) -> dict[str, int]:
    """Aimed campaigns that started since the last tick get their audience and holdout."""
    clock: Clock = ctx["clock"]
    async with ctx["engine"].begin() as connection:
        drawn = await campaign_experiments.draw_due(connection, clock())
    return {"drawn": drawn}


class _StoppableWorker(Worker):
    """arq's worker, with a stop that ends in exit 0."""

    def handle_sig_wait_for_completion(self, signum: Signals) -> None:
        # The running job looks at this between steps and returns early.
        self.ctx["stopping"].set()
        super().handle_sig_wait_for_completion(signum)

    async def close(self) -> None:
        # A job cancelled after the grace period ends in CancelledError;
        # arq would re-raise it here and the process would exit 1, as if the
        # stop had failed. Its transaction was rolled back: that is the
        # clean abandonment, so it is collected here instead.
        await asyncio.gather(*self.tasks.values(), return_exceptions=True)
        self.tasks.clear()
        await super().close()


def database_tag(settings: Settings) -> str:
    """Names the database the worker serves in its queue and its cron ticks: the
    workers of one database share them (each tick runs once), while the workers
    of another database on the same Redis never take them."""
    assert settings.database_url is not None
    url = make_url(settings.database_url)
    where = f"{url.username}@{url.host}:{url.port}/{url.database}?{sorted(url.query.items())}"
    return hashlib.sha256(where.encode()).hexdigest()[:12]


def create_worker(settings: Settings, *, clock: Clock = _utc_now, **overrides: Any) -> Worker:
    """An arq worker for ``settings`` (its URLs must be set by now); ``clock``
    is the jobs' "now" (the real time unless a test or rehearsal sets it).
    Being the worker process's composition root, it sets up the process's
    logging."""
    assert settings.redis_url is not None
    configure_logging()
    every = settings.worker_interval_minutes
    database = database_tag(settings)
    options: dict[str, Any] = {
        "functions": [nightly, insights_rollup, deliver_notices, send_mail, apply_retention, draw_audiences],
        "cron_jobs": [
            cron(
                nightly,
                name=f"cron:nightly:{database}",
                minute=set(range(0, 60, every)),
                run_at_startup=True,
                unique=True,
                timeout=3600,
            ),
            cron(
                insights_rollup,
                name=f"cron:insights_rollup:{database}",
                minute=set(range(0, 60, every)),
                second=45,
                run_at_startup=True,
                unique=True,
                timeout=3600,
            ),
            # At start-up too: a restarted worker sends what its predecessor left at once.
            cron(
                deliver_notices,
                name=f"cron:deliver_notices:{database}",
                second=30,
                run_at_startup=True,
                unique=True,
                timeout=300,
            ),
            cron(
                send_mail, name=f"cron:send_mail:{database}", second=15, run_at_startup=True, unique=True, timeout=300
            ),
            cron(apply_retention, name=f"cron:apply_retention:{database}", minute=45, unique=True, timeout=1800),
            cron(draw_audiences, name=f"cron:draw_audiences:{database}", second=5, unique=True, timeout=300),
        ],
        "queue_name": f"arq:queue:coalition:{database}",
        "on_startup": startup,
        "on_shutdown": shutdown,
        # Without Redis the worker waits for it (logging each attempt) rather
        # than exit: the jobs catch up when it returns, postings never needed it.
        "redis_settings": replace(
            RedisSettings.from_dsn(settings.redis_url), conn_retries=REDIS_WAIT_ATTEMPTS, conn_retry_delay=2
        ),
        "ctx": {"settings": settings, "clock": clock, "stopping": asyncio.Event()},
        "handle_signals": True,
        "job_completion_wait": SHUTDOWN_GRACE_SECONDS,
        "timezone": UTC,
        "max_jobs": 4,
        "keep_result": 3600,
        **overrides,
    }
    return _StoppableWorker(**options)
