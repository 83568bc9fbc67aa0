"""What the API reads about members (batched by id or card)."""

from __future__ import annotations

import uuid

from coalition.platform.members import repository
from coalition.platform.members.repository import MemberRecord as MemberRecord
from coalition.platform.runtime.database import Executor


async def members_by_id(connection: Executor, ids: list[uuid.UUID]) -> dict[uuid.UUID, MemberRecord]:
    return {member.id: member for member in await repository.members_by_ids(connection, ids)}


async def members_by_card(connection: Executor, coalition_id: uuid.UUID, cards: list[str]) -> dict[str, MemberRecord]:
    """Members of one coalition by card number (card numbers are unique per coalition)."""
    return {member.card_number: member for member in await repository.members_by_cards(connection, coalition_id, cards)}


async def member_by_contact(
    connection: Executor, coalition_id: uuid.UUID, *, email: str | None = None, phone: str | None = None
) -> MemberRecord | None:
    return await repository.member_by_contact(connection, coalition_id, email=email, phone=phone)
