"""What the API reads about coalitions and their partners (batched by id)."""

from __future__ import annotations

import uuid

from coalition.platform.coalitions import repository
from coalition.platform.coalitions.repository import CoalitionRecord as CoalitionRecord
from coalition.platform.coalitions.repository import PartnerRecord as PartnerRecord
from coalition.platform.runtime.database import Executor


async def partners_by_id(connection: Executor, ids: list[uuid.UUID]) -> dict[uuid.UUID, PartnerRecord]:
    return {partner.id: partner for partner in await repository.partners_by_ids(connection, ids)}


async def partner_page(
    connection: Executor, coalition_id: uuid.UUID, after: uuid.UUID | None, limit: int
) -> list[PartnerRecord]:
    """Partners in the order they joined, after the one with id ``after``."""
    return await repository.partner_page(connection, coalition_id, after, limit)
