"""What the API reads about members (batched by id or card)."""

from __future__ import annotations

import uuid

from coalition.platform.members import repository, rules
from coalition.platform.members.repository import MemberRecord as MemberRecord
from coalition.platform.runtime.database import Executor


async def members_by_id(connection: Executor, ids: list[uuid.UUID]) -> dict[uuid.UUID, MemberRecord]:
    return {member.id: member for member in await repository.members_by_ids(connection, ids)}


async def members_by_card(connection: Executor, coalition_id: uuid.UUID, cards: list[str]) -> dict[str, MemberRecord]:
    """Members of one coalition by card number (card numbers are unique per coalition)."""
    return {member.card_number: member for member in await repository.members_by_cards(connection, coalition_id, cards)}


async def member_by_contact(
    connection: Executor, coalition_id: uuid.UUID, *, email: str | None, phone: str | None,
    known_to_partner: uuid.UUID | None,
) -> MemberRecord | None:  # fmt: skip
    """A member found by e-mail or phone, compared as enrolment normalises them
    (a malformed one is a VALIDATION error)."""
    email, phone = rules.check_email(email), rules.check_phone(phone)
    if email is None and phone is None:
        return None
    return await repository.member_by_contact(
        connection, coalition_id, email=email, phone=phone, known_to_partner=known_to_partner
    )


async def passkeys_of(connection: Executor, member_id: uuid.UUID) -> list[repository.PasskeyRecord]:
    return await repository.passkeys_of(connection, [member_id])
