"""The worker killed with SIGKILL at seeded random moments while it delivers
notices to the webhook and e-mails over SMTP (a real aiosmtpd server and a
real HTTP receiver count every arrival), then started again until all is sent.

What the design guarantees, and so what is asserted: delivery is AT LEAST
ONCE, not exactly once. No protocol lets a sender learn that the SMTP server
(or webhook) accepted a message and record it in the same atomic step: a
kill between the server's "250 accepted" and the commit that marks the mail
sent makes the next worker send it again. Each mail and each notice is
claimed, sent and marked in a transaction of its own, so that window holds
one item per job: each kill can double at most one mail and one notice, and
they carry the same Message-ID / notice id, so receivers can drop the
repeat. So: nothing is lost, nothing is sent that was not written, duplicates
are at most one per kill and per kind, and no notice row is written twice
(the nightly writes them again at each start: one row per member and
expiry date)."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import text

from coalition.partners.earning.till import TillSetups
from coalition.platform.ledger.repository import PostingGateway
from coalition.platform.ledger.service import LedgerService
from coalition.platform.notices import service as notices
from coalition.platform.outbox import service as outbox
from coalition.platform.runtime.database import create_engine
from tests.support.own_servers import OwnServers
from tests.support.smtp import Mailbox, smtp_server
from tests.support.town import Town
from tests.support.webhook import Received, webhook_receiver

pytestmark = pytest.mark.slow

SEED = int(os.environ.get("COALITION_FAULT_SEED", "17"))
MEMBERS = 120
MAILS_EACH = 2
KILLS = 5


@dataclass
class Written:
    town: Town
    notice_ids: set[str]
    message_ids: set[str]


@pytest.fixture
async def written(own: OwnServers) -> AsyncIterator[Written]:
    """Members with points expiring in ten days (a notice each) and mails queued for them."""
    engine = create_engine(own.database_url, pool_size=4)
    town = await Town(engine, LedgerService(PostingGateway(engine)), TillSetups(engine)).create()
    shop, _ = await town.partner(rate="1")
    for _ in range(MEMBERS):
        _, card = await town.member(shop)
        await town.earn(shop, card, "10")
    async with town.sessions.begin() as session:
        for n in range(MEMBERS):
            for m in range(MAILS_EACH):
                await outbox.enqueue(
                    session, coalition_id=town.coalition_id, recipient=f"m{n}@members.example",
                    subject=f"Mail {m}", body="Your points", mail_from="coalition@town.example",
                )  # fmt: skip
    async with engine.begin() as connection:
        await connection.execute(text("SET LOCAL session_replication_role = replica"))
        await connection.execute(
            text("UPDATE lots SET expires_at = now() + :d WHERE coalition_id = :c"),
            {"d": timedelta(days=10), "c": town.coalition_id},
        )
    async with town.sessions.begin() as session:
        assert await notices.write_expiring(session, town.coalition_id) == MEMBERS
    async with engine.connect() as connection:
        notice_ids = {str(i) for i in await connection.scalars(text("SELECT id FROM notices"))}
        message_ids = set(await connection.scalars(text("SELECT message_id FROM outbox_mails")))
    yield Written(town, notice_ids, message_ids)
    await engine.dispose()


def _worker(own: OwnServers, smtp_url: str, webhook_url: str) -> subprocess.Popen[str]:
    environment = {
        **os.environ,
        "COALITION_DATABASE_URL": own.database_url,
        "COALITION_REDIS_URL": own.redis_url,
        "COALITION_SMTP_URL": smtp_url,
        "COALITION_MAIL_FROM": "coalition@town.example",
        "COALITION_WEBHOOK_URL": webhook_url,
        "COALITION_WEBHOOK_SECRET": "s3cret",
    }
    return subprocess.Popen(  # a real worker is the point
        [sys.executable, "-m", "coalition", "worker"],
        env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip


async def _left(town: Town) -> tuple[int, int]:
    """Notices and mails not yet marked sent."""
    async with town.engine.connect() as connection:
        return (
            await connection.scalar(text("SELECT count(*) FROM notices WHERE delivered_at IS NULL")) or 0,
            await connection.scalar(text("SELECT count(*) FROM outbox_mails WHERE sent_at IS NULL")) or 0,
        )


def _arrived(mailbox: Mailbox, received: Received) -> int:
    with mailbox.lock:
        mails = len(mailbox.received)
    return mails + received.total()


async def test_a_worker_killed_while_delivering_loses_nothing_and_repeats_at_most_one_per_kill(own, written) -> None:
    chance = random.Random(SEED)
    town = written.town
    cut_short = 0
    with smtp_server() as (smtp_url, mailbox), webhook_receiver() as (webhook_url, received):
        for _ in range(KILLS):
            if await _left(town) == (0, 0):
                break
            before = _arrived(mailbox, received)
            worker = _worker(own, smtp_url, webhook_url)
            while _arrived(mailbox, received) == before:  # delivering now
                assert worker.poll() is None, "the worker ended before delivering"
                await asyncio.sleep(0.01)
            await asyncio.sleep(chance.uniform(0.0, 0.6))
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=10)
            cut_short += await _left(town) != (0, 0)
        worker = _worker(own, smtp_url, webhook_url)
        try:
            for _ in range(600):
                if await _left(town) == (0, 0):
                    break
                await asyncio.sleep(0.1)
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=60)
        mails = Counter(message["Message-ID"] for message in mailbox.received)
    notice_counts = received.ids
    assert cut_short >= 2, "the kills cut no delivery short: the test proved nothing"
    assert await _left(town) == (0, 0)
    # Nothing lost, nothing that was not written.
    assert set(notice_counts) == written.notice_ids
    assert set(mails) == written.message_ids
    # At least once: at most one repeat per kill of each kind (the item in flight).
    assert sum(notice_counts.values()) - len(notice_counts) <= cut_short
    assert sum(mails.values()) - len(mails) <= cut_short
    async with town.engine.connect() as connection:
        per_member = (
            await connection.execute(text("SELECT member_id, count(*) FROM notices GROUP BY member_id"))
        ).all()
    assert len(per_member) == MEMBERS
    assert {count for _, count in per_member} == {1}  # each start's nightly wrote them again: no new row
