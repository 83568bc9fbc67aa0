"""What the API reads about notices to members."""

from __future__ import annotations

import uuid

from coalition.platform.notices import repository
from coalition.platform.notices.repository import NoticeRecord as NoticeRecord
from coalition.platform.runtime.database import Executor


async def notices_of_members(connection: Executor, member_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[NoticeRecord]]:
    """Each member's latest notices, newest first."""
    return await repository.of_members(connection, member_ids)
