from __future__ import annotations

import uuid
from typing import Any, Protocol

from coalition.platform.audit.tables import audit_log
from coalition.platform.runtime.database import Executor


class Changer(Protocol):
    """Whoever makes a change: a principal (see auth/service.py)."""

    @property
    def coalition_id(self) -> uuid.UUID: ...

    @property
    def actor(self) -> str: ...


async def record_change(
    session: Executor,
    by: Changer,
    action: str,
    subject_id: uuid.UUID | None,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Write one audit row for a change made by ``by`` in its own coalition, in
    the caller's transaction, so it lands with the change."""
    await session.execute(
        audit_log.insert().values(
            coalition_id=by.coalition_id,
            actor=by.actor,
            action=action,
            subject_id=subject_id,
            before=before,
            after=after,
        )
    )
