from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, text, update

from coalition.platform.notices.tables import notices
from coalition.platform.runtime.database import Executor

# One notice per member and earliest expiry date: a new one only when the
# soonest-expiring points change.
_EXPIRING = text(
    """
    INSERT INTO notices (coalition_id, member_id, kind, dedupe_key, payload)
    SELECT l.coalition_id, l.member_id, 'POINTS_EXPIRING',
           'expiring:' || l.member_id || ':' || (min(l.expires_at) AT TIME ZONE 'UTC')::date,
           jsonb_build_object('points', sum(l.remaining), 'firstExpiry', min(l.expires_at))
      FROM lots l
     WHERE l.coalition_id = :coalition AND l.remaining > 0
       AND l.expires_at > now() AND l.expires_at <= now() + make_interval(days => :days)
     GROUP BY l.coalition_id, l.member_id
    ON CONFLICT (dedupe_key) DO NOTHING
    """
)


# Every member still holding points a leaving partner issued.
_PARTNER_LEFT = text(
    """
    INSERT INTO notices (coalition_id, member_id, kind, dedupe_key, payload)
    SELECT l.coalition_id, l.member_id, 'PARTNER_LEFT', 'partner-left:' || :partner_text || ':' || l.member_id,
           jsonb_build_object('partnerId', CAST(:partner_text AS text), 'partnerName', CAST(:name AS text),
                              'points', sum(l.remaining), 'pointsStayValid', true)
      FROM lots l
     WHERE l.issuer_partner_id = CAST(:partner AS uuid) AND l.remaining > 0
     GROUP BY l.coalition_id, l.member_id
    ON CONFLICT (dedupe_key) DO NOTHING
    """
)


async def write_partner_left(connection: Executor, partner_id: uuid.UUID, name: str) -> int:
    result = await connection.execute(
        _PARTNER_LEFT, {"partner": partner_id, "partner_text": str(partner_id), "name": name}
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def write_expiring(connection: Executor, coalition_id: uuid.UUID, days: int) -> int:
    result = await connection.execute(_EXPIRING, {"coalition": coalition_id, "days": days})
    return int(result.rowcount)  # type: ignore[attr-defined]


async def insert(connection: Executor, **values: Any) -> bool:
    from sqlalchemy.dialects.postgresql import insert as pg_insert

    result = await connection.execute(pg_insert(notices).values(**values).on_conflict_do_nothing())
    return bool(result.rowcount)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class NoticeRecord:
    id: uuid.UUID
    coalition_id: uuid.UUID
    member_id: uuid.UUID
    kind: str
    payload: dict[str, Any]
    created_at: datetime
    delivered_at: datetime | None
    attempts: int


def _record(row: Any) -> NoticeRecord:
    return NoticeRecord(**{k: row._mapping[k] for k in NoticeRecord.__dataclass_fields__})


async def undelivered(
    connection: Executor, limit: int, max_attempts: int, coalition_id: uuid.UUID | None = None
) -> list[NoticeRecord]:
    """A batch to send, locked so that two delivery jobs never send the same notice."""
    query = select(notices).where(notices.c.delivered_at.is_(None), notices.c.attempts < max_attempts)
    if coalition_id is not None:
        query = query.where(notices.c.coalition_id == coalition_id)
    rows = await connection.execute(query.order_by(notices.c.created_at).limit(limit).with_for_update(skip_locked=True))
    return [_record(row) for row in rows]


async def mark(connection: Executor, notice_id: uuid.UUID, *, delivered: bool, error: str | None) -> None:
    values: dict[str, Any] = {"attempts": notices.c.attempts + 1, "last_error": error}
    if delivered:
        values["delivered_at"] = text("now()")
    await connection.execute(update(notices).where(notices.c.id == notice_id).values(**values))


async def of_members(
    connection: Executor, member_ids: list[uuid.UUID], limit: int = 20
) -> dict[uuid.UUID, list[NoticeRecord]]:
    found: dict[uuid.UUID, list[NoticeRecord]] = {m: [] for m in member_ids}
    rows = await connection.execute(
        select(notices).where(notices.c.member_id.in_(member_ids)).order_by(notices.c.created_at.desc())
    )
    for row in rows:
        if len(found[row.member_id]) < limit:
            found[row.member_id].append(_record(row))
    return found
