from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, func, select

from coalition.platform.database import Executor
from coalition.platform.members.tables import members


@dataclass(frozen=True)
class MemberRecord:
    id: uuid.UUID
    coalition_id: uuid.UUID
    card_number: str
    email: str | None
    phone: str | None
    birth_date: date | None
    status: str
    enrolled_by_partner_id: uuid.UUID | None
    created_at: datetime

    @classmethod
    def from_row(cls, row: Row[Any]) -> MemberRecord:
        return cls(**{name: row._mapping[name] for name in cls.__dataclass_fields__})


async def insert_member(connection: Executor, **values: Any) -> MemberRecord:
    row = (await connection.execute(members.insert().values(**values).returning(members))).one()
    return MemberRecord.from_row(row)


async def members_by_ids(connection: Executor, ids: list[uuid.UUID]) -> list[MemberRecord]:
    return [
        MemberRecord.from_row(row) for row in await connection.execute(select(members).where(members.c.id.in_(ids)))
    ]


async def member_by_card(connection: Executor, coalition_id: uuid.UUID, card_number: str) -> MemberRecord | None:
    row = (
        await connection.execute(
            select(members).where(members.c.coalition_id == coalition_id, members.c.card_number == card_number)
        )
    ).first()
    return None if row is None else MemberRecord.from_row(row)


async def contact_taken(connection: Executor, coalition_id: uuid.UUID, email: str | None, phone: str | None) -> bool:
    conditions = []
    if email is not None:
        conditions.append(func.lower(members.c.email) == email.lower())
    if phone is not None:
        conditions.append(members.c.phone == phone)
    if not conditions:
        return False
    query = select(members.c.id).where(
        members.c.coalition_id == coalition_id,
        conditions[0] if len(conditions) == 1 else conditions[0] | conditions[1],
    )
    return (await connection.execute(query.limit(1))).first() is not None
