from __future__ import annotations

import uuid
from typing import Any

from coalition.platform.audit.tables import audit_log
from coalition.platform.database import Executor


async def record(
    session: Executor,
    *,
    coalition_id: uuid.UUID,
    actor: str,
    action: str,
    subject_id: uuid.UUID | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Write one audit row in the caller's transaction, so it lands with the change."""
    await session.execute(
        audit_log.insert().values(
            coalition_id=coalition_id,
            actor=actor,
            action=action,
            subject_id=subject_id,
            before=before,
            after=after,
        )
    )
