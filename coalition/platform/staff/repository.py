from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from coalition.platform.runtime.database import Executor
from coalition.platform.staff.rules import Grant, StaffRole
from coalition.platform.staff.tables import staff_links, staff_people, staff_recovery_codes, staff_roles


@dataclass(frozen=True)
class PersonRecord:
    id: uuid.UUID
    coalition_id: uuid.UUID
    email: str
    name: str
    language: str
    password_hash: str | None
    totp_secret: str | None
    removed_at: datetime | None


def _person(row: Any) -> PersonRecord:
    return PersonRecord(**{name: row._mapping[name] for name in PersonRecord.__dataclass_fields__})


async def active_person_by_email(
    connection: Executor, coalition_id: uuid.UUID, email: str, *, lock: bool = False
) -> PersonRecord | None:
    query = select(staff_people).where(
        staff_people.c.coalition_id == coalition_id,
        func.lower(staff_people.c.email) == email.lower(),
        staff_people.c.removed_at.is_(None),
    )
    row = (await connection.execute(query.with_for_update() if lock else query)).first()
    return None if row is None else _person(row)


async def person_by_id(connection: Executor, person_id: uuid.UUID) -> PersonRecord | None:
    row = (await connection.execute(select(staff_people).where(staff_people.c.id == person_id))).first()
    return None if row is None else _person(row)


async def insert_person(
    connection: Executor, *, coalition_id: uuid.UUID, email: str, name: str, language: str
) -> uuid.UUID:
    result = await connection.execute(
        staff_people.insert()
        .values(coalition_id=coalition_id, email=email, name=name, language=language)
        .returning(staff_people.c.id)
    )
    return uuid.UUID(str(result.scalar_one()))


async def mark_removed(connection: Executor, person_id: uuid.UUID, now: datetime) -> None:
    await connection.execute(update(staff_people).where(staff_people.c.id == person_id).values(removed_at=now))


async def set_credentials(
    connection: Executor, person_id: uuid.UUID, *, password_hash: str, totp_secret: str | None
) -> None:
    await connection.execute(
        update(staff_people)
        .where(staff_people.c.id == person_id)
        .values(password_hash=password_hash, totp_secret=totp_secret)
    )


async def set_profile(connection: Executor, person_id: uuid.UUID, *, name: str, language: str) -> None:
    await connection.execute(
        update(staff_people).where(staff_people.c.id == person_id).values(name=name, language=language)
    )


async def set_password_hash(connection: Executor, person_id: uuid.UUID, password_hash: str) -> None:
    await connection.execute(
        update(staff_people).where(staff_people.c.id == person_id).values(password_hash=password_hash)
    )


async def grants_of(connection: Executor, person_id: uuid.UUID) -> list[Grant]:
    rows = await connection.execute(
        select(staff_roles.c.role, staff_roles.c.partner_id)
        .where(staff_roles.c.person_id == person_id)
        .order_by(staff_roles.c.id)
    )
    return [Grant(StaffRole(row.role), row.partner_id) for row in rows]


async def add_grant(connection: Executor, person_id: uuid.UUID, grant: Grant) -> bool:
    result = await connection.execute(
        pg_insert(staff_roles)
        .values(person_id=person_id, role=grant.role.value, partner_id=grant.partner_id)
        .on_conflict_do_nothing()
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def replace_recovery_codes(connection: Executor, person_id: uuid.UUID, code_hashes: list[bytes]) -> None:
    await connection.execute(staff_recovery_codes.delete().where(staff_recovery_codes.c.person_id == person_id))
    await connection.execute(
        staff_recovery_codes.insert(), [{"person_id": person_id, "code_hash": digest} for digest in code_hashes]
    )


async def use_recovery_code(connection: Executor, person_id: uuid.UUID, code_hash: bytes, now: datetime) -> bool:
    """Spend an unused code; False if there is none (wrong, or already used)."""
    result = await connection.execute(
        update(staff_recovery_codes)
        .where(
            staff_recovery_codes.c.person_id == person_id,
            staff_recovery_codes.c.code_hash == code_hash,
            staff_recovery_codes.c.used_at.is_(None),
        )
        .values(used_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def insert_link(
    connection: Executor, *, token_hash: bytes, person_id: uuid.UUID, purpose: str, expires_at: datetime
) -> None:
    await connection.execute(
        staff_links.insert().values(token_hash=token_hash, person_id=person_id, purpose=purpose, expires_at=expires_at)
    )


def _valid_link(token_hash: bytes, purpose: str, coalition_id: uuid.UUID, now: datetime) -> list[Any]:
    return [
        staff_links.c.token_hash == token_hash,
        staff_links.c.purpose == purpose,
        staff_links.c.used_at.is_(None),
        staff_links.c.expires_at > now,
        staff_links.c.person_id.in_(
            select(staff_people.c.id).where(
                staff_people.c.coalition_id == coalition_id, staff_people.c.removed_at.is_(None)
            )
        ),
    ]


async def link_owner(
    connection: Executor, token_hash: bytes, purpose: str, coalition_id: uuid.UUID, now: datetime
) -> uuid.UUID | None:
    """Whose valid one-time link this is, without spending it; None if it is
    unknown, used, expired, of another coalition, or its person was removed."""
    found = await connection.execute(
        select(staff_links.c.person_id).where(*_valid_link(token_hash, purpose, coalition_id, now))
    )
    person_id = found.scalar_one_or_none()
    return None if person_id is None else uuid.UUID(str(person_id))


async def link_coalition(connection: Executor, token_hash: bytes, purpose: str, now: datetime) -> uuid.UUID | None:
    """The coalition of a valid one-time link's person: a page opened from a
    mail knows no coalition but the link's."""
    found = await connection.execute(
        select(staff_people.c.coalition_id)
        .join(staff_links, staff_links.c.person_id == staff_people.c.id)
        .where(
            staff_links.c.token_hash == token_hash,
            staff_links.c.purpose == purpose,
            staff_links.c.used_at.is_(None),
            staff_links.c.expires_at > now,
            staff_people.c.removed_at.is_(None),
        )
    )
    coalition_id = found.scalar_one_or_none()
    return None if coalition_id is None else uuid.UUID(str(coalition_id))


async def use_link(
    connection: Executor, token_hash: bytes, purpose: str, coalition_id: uuid.UUID, now: datetime
) -> uuid.UUID | None:
    """Spend a valid one-time link (at most once, however many try at once) and return whose it was."""
    result = await connection.execute(
        update(staff_links)
        .where(*_valid_link(token_hash, purpose, coalition_id, now))
        .values(used_at=now)
        .returning(staff_links.c.person_id)
    )
    person_id = result.scalar_one_or_none()
    return None if person_id is None else uuid.UUID(str(person_id))


async def partner_in_coalition(connection: Executor, partner_id: uuid.UUID, coalition_id: uuid.UUID) -> bool:
    # By name: the platform does not import the partners package.
    found = await connection.execute(
        text("SELECT 1 FROM partners WHERE id = :partner AND coalition_id = :coalition"),
        {"partner": partner_id, "coalition": coalition_id},
    )
    return found.first() is not None


@dataclass(frozen=True)
class Listing:
    """A person as a staff list shows them, with the roles the list is about."""

    id: uuid.UUID
    email: str
    name: str
    language: str
    created_at: datetime
    grants: list[Grant]


async def people_of(connection: Executor, coalition_id: uuid.UUID, partner_id: uuid.UUID | None) -> list[Listing]:
    """The coalition's staff in place (one shop's, with only that shop's roles, if ``partner_id``)."""
    query = (
        select(staff_people, staff_roles.c.role, staff_roles.c.partner_id)
        .join(staff_roles, staff_roles.c.person_id == staff_people.c.id)
        .where(staff_people.c.coalition_id == coalition_id, staff_people.c.removed_at.is_(None))
        .order_by(func.lower(staff_people.c.name), staff_people.c.id, staff_roles.c.id)
    )
    if partner_id is not None:
        query = query.where(staff_roles.c.partner_id == partner_id)
    people: dict[uuid.UUID, Listing] = {}
    for row in await connection.execute(query):
        listing = people.get(row.id)
        if listing is None:
            listing = people[row.id] = Listing(row.id, row.email, row.name, row.language, row.created_at, [])
        listing.grants.append(Grant(StaffRole(row.role), row.partner_id))
    return list(people.values())
