from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update

from coalition.platform.outbox.tables import outbox_mails
from coalition.platform.runtime.database import Executor


@dataclass(frozen=True)
class MailRecord:
    id: uuid.UUID
    coalition_id: uuid.UUID
    recipient: str
    subject: str
    body: str
    message_id: str
    attempts: int
    last_error: str | None
    sent_at: datetime | None


def _record(row: Any) -> MailRecord:
    return MailRecord(**{name: row._mapping[name] for name in MailRecord.__dataclass_fields__})


async def insert_mail(
    connection: Executor, *, coalition_id: uuid.UUID, recipient: str, subject: str, body: str, message_id: str
) -> uuid.UUID:
    result = await connection.execute(
        outbox_mails.insert()
        .values(coalition_id=coalition_id, recipient=recipient, subject=subject, body=body, message_id=message_id)
        .returning(outbox_mails.c.id)
    )
    return uuid.UUID(str(result.scalar_one()))


async def claim_due(
    connection: Executor, now: datetime, limit: int, coalition_id: uuid.UUID | None = None
) -> list[MailRecord]:
    """Unsent mails due by ``now`` (of one coalition, or all), locked for this
    transaction; rows another sender holds are skipped, so two senders never
    send the same mail."""
    query = select(outbox_mails).where(outbox_mails.c.sent_at.is_(None), outbox_mails.c.next_attempt_at <= now)
    if coalition_id is not None:
        query = query.where(outbox_mails.c.coalition_id == coalition_id)
    rows = await connection.execute(
        query.order_by(outbox_mails.c.next_attempt_at).limit(limit).with_for_update(skip_locked=True)
    )
    return [_record(row) for row in rows]


async def mark_sent(connection: Executor, mail_id: uuid.UUID, now: datetime) -> None:
    await connection.execute(
        update(outbox_mails)
        .where(outbox_mails.c.id == mail_id)
        .values(sent_at=now, attempts=outbox_mails.c.attempts + 1, last_error=None)
    )


async def mark_failed(connection: Executor, mail_id: uuid.UUID, error: str, retry_at: datetime) -> None:
    await connection.execute(
        update(outbox_mails)
        .where(outbox_mails.c.id == mail_id)
        .values(attempts=outbox_mails.c.attempts + 1, last_error=error[:500], next_attempt_at=retry_at)
    )


async def mails_to(connection: Executor, coalition_id: uuid.UUID, recipient: str) -> list[MailRecord]:
    """The mails written for one address, oldest first (the demo and support read links from them)."""
    rows = await connection.execute(
        select(outbox_mails)
        .where(
            outbox_mails.c.coalition_id == coalition_id,
            func.lower(outbox_mails.c.recipient) == recipient.lower(),
        )
        .order_by(outbox_mails.c.created_at, outbox_mails.c.id)
    )
    return [_record(row) for row in rows]


async def mail_by_id(connection: Executor, mail_id: uuid.UUID) -> MailRecord | None:
    row = (await connection.execute(select(outbox_mails).where(outbox_mails.c.id == mail_id))).first()
    return None if row is None else _record(row)


async def latest_mails(connection: Executor, limit: int) -> list[MailRecord]:
    """The newest mails of every coalition (the development mail page)."""
    rows = await connection.execute(
        select(outbox_mails).order_by(outbox_mails.c.created_at.desc(), outbox_mails.c.id.desc()).limit(limit)
    )
    return [_record(row) for row in rows]
