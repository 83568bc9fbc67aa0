"""The outbox sent over SMTP to a real server (aiosmtpd): sent once, retried, never lost."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from coalition.platform.outbox import repository, service
from coalition.platform.outbox.smtp import SmtpSender
from coalition.worker import send_mail
from tests.support.smtp import free_port, smtp_server

FROM = "portal@town.example"


async def _write(town, count: int = 1) -> list[tuple[uuid.UUID, str]]:
    mails = []
    async with town.sessions.begin() as session:
        for _ in range(count):
            recipient = f"{uuid.uuid4().hex[:10]}@shop.example"
            mail_id = await service.enqueue(
                session, coalition_id=town.coalition_id, recipient=recipient, subject="Hello",
                body="Your link: http://127.0.0.1:8000/x", mail_from=FROM,
            )  # fmt: skip
            mails.append((mail_id, recipient))
    return mails


async def _mail(engine: AsyncEngine, mail_id: uuid.UUID) -> repository.MailRecord:
    async with engine.connect() as connection:
        found = await repository.mail_by_id(connection, mail_id)
    assert found is not None
    return found


async def test_the_worker_job_sends_a_mail_once_with_its_message_id(town, settings) -> None:
    [(mail_id, recipient)] = await _write(town)
    with smtp_server() as (url, mailbox):
        ctx = {"settings": settings.model_copy(update={"smtp_url": url}), "engine": town.engine,
               "clock": lambda: datetime.now(UTC)}  # fmt: skip
        first = await send_mail(ctx)
        again = await send_mail(ctx)
    stored = await _mail(town.engine, mail_id)
    [received] = mailbox.to(recipient)
    assert first["sent"] >= 1
    assert again == {"sent": 0, "failed": 0}
    assert received["Message-ID"] == stored.message_id
    assert stored.message_id.endswith("@town.example>")
    assert received["Subject"] == "Hello"
    assert "http://127.0.0.1:8000/x" in received.get_payload()
    assert stored.sent_at is not None
    assert stored.attempts == 1


async def test_without_smtp_configured_mails_stay_in_the_outbox(town, settings) -> None:
    [(mail_id, _)] = await _write(town)
    ctx = {"settings": settings.model_copy(update={"smtp_url": None}), "engine": town.engine,
           "clock": lambda: datetime.now(UTC)}  # fmt: skip
    assert await send_mail(ctx) == {"sent": 0, "failed": 0}
    assert (await _mail(town.engine, mail_id)).sent_at is None


async def test_a_refused_mail_is_kept_and_sent_after_its_retry_delay(town) -> None:
    [(mail_id, recipient)] = await _write(town)
    now = datetime.now(UTC)
    with smtp_server() as (url, mailbox):
        mailbox.refuse = "451 Try again later"
        await service.send_due(town.engine, SmtpSender(url, FROM), now, coalition_id=town.coalition_id)
        refused = await _mail(town.engine, mail_id)
        mailbox.refuse = None
        await service.send_due(
            town.engine, SmtpSender(url, FROM), now + timedelta(seconds=30), coalition_id=town.coalition_id
        )
        still_waiting = await _mail(town.engine, mail_id)
        await service.send_due(
            town.engine, SmtpSender(url, FROM), now + timedelta(minutes=2), coalition_id=town.coalition_id
        )
    sent = await _mail(town.engine, mail_id)
    assert refused.sent_at is None
    assert refused.attempts == 1
    assert still_waiting.sent_at is None
    assert still_waiting.attempts == 1
    assert sent.sent_at is not None
    assert sent.attempts == 2
    assert len(mailbox.to(recipient)) == 1


async def test_a_server_that_is_not_there_or_hangs_up_leaves_the_mail_for_later(town) -> None:
    [(mail_id, recipient)] = await _write(town)
    now = datetime.now(UTC)
    port = free_port()

    async def hang_up(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    nobody = await service.send_due(
        town.engine, SmtpSender(f"smtp://127.0.0.1:{port}", FROM), now, coalition_id=town.coalition_id
    )
    rude = await asyncio.start_server(hang_up, "127.0.0.1", port)
    async with rude:
        hung_up = await service.send_due(
            town.engine,
            SmtpSender(f"smtp://127.0.0.1:{port}", FROM),
            now + timedelta(minutes=2),
            coalition_id=town.coalition_id,
        )
    after_failures = await _mail(town.engine, mail_id)
    with smtp_server() as (url, mailbox):
        await service.send_due(
            town.engine, SmtpSender(url, FROM), now + timedelta(minutes=10), coalition_id=town.coalition_id
        )
    assert nobody.failed == 1
    assert hung_up.failed == 1
    assert after_failures.sent_at is None
    assert after_failures.attempts == 2
    assert after_failures.last_error
    assert (await _mail(town.engine, mail_id)).sent_at is not None
    assert len(mailbox.to(recipient)) == 1


async def test_two_senders_at_once_send_each_mail_once(town) -> None:
    mails = await _write(town, 30)
    with smtp_server() as (url, mailbox):
        sender = SmtpSender(url, FROM)
        now = datetime.now(UTC)
        first, second = await asyncio.gather(
            service.send_due(town.engine, sender, now, coalition_id=town.coalition_id),
            service.send_due(town.engine, sender, now, coalition_id=town.coalition_id),
        )
    assert first.sent + second.sent == len(mails)
    assert [len(mailbox.to(recipient)) for _, recipient in mails] == [1] * len(mails)
    for mail_id, _ in mails:
        assert (await _mail(town.engine, mail_id)).sent_at is not None
