"""Writing mails to the outbox in the caller's transaction, and sending the due ones.

Delivery is at least once: a mail is marked sent only after the SMTP server
accepted it, in the transaction that claimed it, and each mail has a
transaction of its own. If the process dies between the server's acceptance
and that commit, that one mail is sent once more on the next run (same
Message-ID, so a receiving system can tell): at most one duplicate per crash
of a sender, never a batch of them. A mail is never dropped: failures are
retried with a growing delay, capped at six hours."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncEngine

from coalition.platform.outbox import repository
from coalition.platform.outbox.repository import MailRecord
from coalition.platform.runtime.database import Executor

FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=6)


class MailNotAccepted(Exception):
    """The server refused the mail, or could not be reached: try again later."""


class MailSender(Protocol):
    async def send(self, mail: MailRecord) -> None:
        """Return once the server accepted ``mail``; raise ``MailNotAccepted`` otherwise."""


def retry_delay(attempts_so_far: int) -> timedelta:
    """One minute after the first failure, doubling each time, at most six hours."""
    doubling: int = 2 ** min(attempts_so_far, 20)
    return min(FIRST_RETRY * doubling, LONGEST_RETRY)


def message_id(mail_from: str) -> str:
    domain = mail_from.rpartition("@")[2] or "localhost"
    return f"<{uuid.uuid4().hex}@{domain}>"


async def enqueue(
    connection: Executor, *, coalition_id: uuid.UUID, recipient: str, subject: str, body: str, mail_from: str
) -> uuid.UUID:
    """Write a mail in the caller's transaction: it exists if and only if the change that needs it commits."""
    return await repository.insert_mail(
        connection,
        coalition_id=coalition_id,
        recipient=recipient,
        subject=subject,
        body=body,
        message_id=message_id(mail_from),
    )


@dataclass(frozen=True)
class Sending:
    sent: int
    failed: int


async def send_due(
    engine: AsyncEngine, sender: MailSender, now: datetime, *, coalition_id: uuid.UUID | None = None
) -> Sending:
    """Send the mails due by ``now`` (of one coalition, or all), each claimed,
    sent and marked in a transaction of its own: a crash re-sends only the mail
    in flight. The run stops at the first failure (the server is likely down:
    the rest is left for the next run, not counted as tried)."""
    sent = failed = 0
    while not failed:
        async with engine.begin() as connection:
            due = await repository.claim_due(connection, now, 1, coalition_id)
            if not due:
                break
            [mail] = due
            try:
                await sender.send(mail)
            except MailNotAccepted as refused:
                await repository.mark_failed(connection, mail.id, str(refused), now + retry_delay(mail.attempts))
                failed += 1
            else:
                await repository.mark_sent(connection, mail.id, now)
                sent += 1
    return Sending(sent, failed)
