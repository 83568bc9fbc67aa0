from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, tuple_

from coalition.platform.audit.tables import audit_log
from coalition.platform.runtime.database import Executor


@dataclass(frozen=True)
class AuditEntry:
    id: uuid.UUID
    at: datetime
    actor: str
    action: str
    subject_id: uuid.UUID | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


async def audit_page(
    connection: Executor,
    coalition_id: uuid.UUID,
    *,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
    action_prefix: str | None = None,
) -> list[AuditEntry]:
    """Newest first, keyset-paginated on (at, id)."""
    query = select(audit_log).where(audit_log.c.coalition_id == coalition_id)
    if action_prefix:
        query = query.where(audit_log.c.action.startswith(action_prefix, autoescape=True))
    if after is not None:
        query = query.where(tuple_(audit_log.c.at, audit_log.c.id) < tuple_(*after))
    query = query.order_by(audit_log.c.at.desc(), audit_log.c.id.desc()).limit(limit)
    return [
        AuditEntry(
            id=row.id,
            at=row.at,
            actor=row.actor,
            action=row.action,
            subject_id=row.subject_id,
            before=row.before,
            after=row.after,
        )
        for row in await connection.execute(query)
    ]
