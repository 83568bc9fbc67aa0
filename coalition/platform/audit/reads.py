"""What the API reads from the audit log."""

from __future__ import annotations

import uuid
from datetime import datetime

from coalition.platform.audit import repository
from coalition.platform.audit.repository import AuditEntry as AuditEntry
from coalition.platform.runtime.database import Executor


async def audit_page(
    connection: Executor,
    coalition_id: uuid.UUID,
    *,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
    action_prefix: str | None = None,
) -> list[AuditEntry]:
    """Changes newest first, after the keyset position ``after`` (at, id)."""
    return await repository.audit_page(connection, coalition_id, after=after, limit=limit, action_prefix=action_prefix)
