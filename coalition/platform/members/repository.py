from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert

from coalition.platform.ledger.tables import idempotency_keys, transactions
from coalition.platform.members.tables import member_passkeys, members
from coalition.platform.runtime.database import Executor


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
    referral_code: str
    referred_by_member_id: uuid.UUID | None

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
    found = await members_by_cards(connection, coalition_id, [card_number])
    return found[0] if found else None


async def members_by_cards(connection: Executor, coalition_id: uuid.UUID, cards: list[str]) -> list[MemberRecord]:
    query = select(members).where(members.c.coalition_id == coalition_id, members.c.card_number.in_(cards))
    return [MemberRecord.from_row(row) for row in await connection.execute(query)]


async def member_by_contact(
    connection: Executor, coalition_id: uuid.UUID, *, email: str | None, phone: str | None,
    known_to_partner: uuid.UUID | None,
) -> MemberRecord | None:  # fmt: skip
    """The member with this e-mail (any case) or phone; with ``known_to_partner``,
    only one that shop enrolled or has a posting of."""
    query = select(members).where(members.c.coalition_id == coalition_id)
    if email is not None:
        query = query.where(func.lower(members.c.email) == email.lower())
    if phone is not None:
        query = query.where(members.c.phone == phone)
    if known_to_partner is not None:
        dealt = (
            select(transactions.c.id)
            .where(transactions.c.member_id == members.c.id, transactions.c.partner_id == known_to_partner)
            .exists()
        )
        query = query.where((members.c.enrolled_by_partner_id == known_to_partner) | dealt)
    row = (await connection.execute(query.limit(1))).first()
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


async def member_for_update(connection: Executor, member_id: uuid.UUID) -> MemberRecord | None:
    row = (await connection.execute(select(members).where(members.c.id == member_id).with_for_update())).first()
    return None if row is None else MemberRecord.from_row(row)


async def member_by_referral_code(connection: Executor, coalition_id: uuid.UUID, code: str) -> MemberRecord | None:
    row = (
        await connection.execute(
            select(members).where(members.c.coalition_id == coalition_id, members.c.referral_code == code)
        )
    ).first()
    return None if row is None else MemberRecord.from_row(row)


async def referrer_chain(connection: Executor, member_id: uuid.UUID, limit: int = 100) -> list[uuid.UUID]:
    """The member, who referred them, who referred that one, ... (at most ``limit``)."""
    chain = [member_id]
    while len(chain) < limit:
        above = (
            await connection.execute(select(members.c.referred_by_member_id).where(members.c.id == chain[-1]))
        ).scalar_one_or_none()
        if above is None or above in chain:
            if above is not None:
                chain.append(above)
            return chain
        chain.append(above)
    return chain


async def has_purchased(connection: Executor, member_id: uuid.UUID) -> bool:
    query = select(transactions.c.id).where(transactions.c.member_id == member_id, transactions.c.kind == "EARN")
    return (await connection.execute(query.limit(1))).first() is not None


async def set_referrer(connection: Executor, member_id: uuid.UUID, referrer_id: uuid.UUID) -> MemberRecord:
    row = (
        await connection.execute(
            update(members)
            .where(members.c.id == member_id)
            .values(referred_by_member_id=referrer_id)
            .returning(members)
        )
    ).one()
    return MemberRecord.from_row(row)


async def active_member_by_email(connection: Executor, coalition_id: uuid.UUID, email: str) -> MemberRecord | None:
    row = (
        await connection.execute(
            select(members).where(
                members.c.coalition_id == coalition_id,
                func.lower(members.c.email) == email.lower(),
                members.c.status == "ACTIVE",
            )
        )
    ).first()
    return None if row is None else MemberRecord.from_row(row)


async def claim_email(connection: Executor, member_id: uuid.UUID, email: str) -> bool:
    """Give the member this address if they have none (or this one already); False otherwise."""
    claimed = await connection.execute(
        update(members)
        .where(
            members.c.id == member_id,
            members.c.status == "ACTIVE",
            members.c.email.is_(None) | (func.lower(members.c.email) == email.lower()),
        )
        .values(email=email)
        .returning(members.c.id)
    )
    return claimed.first() is not None


# ---------- passkeys ----------


@dataclass(frozen=True)
class PasskeyRecord:
    id: uuid.UUID
    member_id: uuid.UUID
    credential_id: bytes
    public_key: bytes
    sign_count: int
    name: str
    created_at: datetime
    last_used_at: datetime | None

    @classmethod
    def from_row(cls, row: Row[Any]) -> PasskeyRecord:
        return cls(**{name: row._mapping[name] for name in cls.__dataclass_fields__})


async def insert_passkey(connection: Executor, **values: Any) -> PasskeyRecord:
    row = (await connection.execute(member_passkeys.insert().values(**values).returning(member_passkeys))).one()
    return PasskeyRecord.from_row(row)


async def passkeys_of(connection: Executor, member_ids: list[uuid.UUID]) -> list[PasskeyRecord]:
    query = (
        select(member_passkeys)
        .where(member_passkeys.c.member_id.in_(member_ids))
        .order_by(member_passkeys.c.created_at, member_passkeys.c.id)
    )
    return [PasskeyRecord.from_row(row) for row in await connection.execute(query)]


async def passkey_by_credential(
    connection: Executor, coalition_id: uuid.UUID, credential_id: bytes
) -> tuple[PasskeyRecord, MemberRecord] | None:
    """The passkey with this credential id and its member, if the member belongs to this coalition."""
    row = (
        await connection.execute(
            select(member_passkeys, members.c.coalition_id)
            .join(members, members.c.id == member_passkeys.c.member_id)
            .where(member_passkeys.c.credential_id == credential_id, members.c.coalition_id == coalition_id)
            .with_for_update(of=member_passkeys)
        )
    ).first()
    if row is None:
        return None
    passkey = PasskeyRecord.from_row(row)
    member = (await members_by_ids(connection, [passkey.member_id]))[0]
    return passkey, member


async def passkey_used(connection: Executor, passkey_id: uuid.UUID, sign_count: int, now: datetime) -> None:
    await connection.execute(
        update(member_passkeys)
        .where(member_passkeys.c.id == passkey_id)
        .values(sign_count=sign_count, last_used_at=now)
    )


async def delete_passkey(connection: Executor, member_id: uuid.UUID, passkey_id: uuid.UUID) -> bool:
    deleted = await connection.execute(
        delete(member_passkeys)
        .where(member_passkeys.c.id == passkey_id, member_passkeys.c.member_id == member_id)
        .returning(member_passkeys.c.id)
    )
    return deleted.first() is not None


# ---------- enrolment's idempotency keys ----------


@dataclass(frozen=True)
class EnrolmentKey:
    request_hash: str
    member_id: uuid.UUID | None
    transaction_id: uuid.UUID | None  # set: the key was used for a posting, not an enrolment


async def enrolment_key(connection: Executor, scope_id: uuid.UUID, key: str) -> EnrolmentKey | None:
    row = (
        await connection.execute(
            select(
                idempotency_keys.c.request_hash, idempotency_keys.c.member_id, idempotency_keys.c.transaction_id
            ).where(idempotency_keys.c.scope_id == scope_id, idempotency_keys.c.key == key)
        )
    ).first()
    return None if row is None else EnrolmentKey(row.request_hash, row.member_id, row.transaction_id)


async def new_member_id(connection: Executor) -> uuid.UUID:
    member_id: uuid.UUID = (await connection.execute(text("SELECT coalition_uuid7()"))).scalar_one()
    return member_id


async def claim_enrolment_key(
    connection: Executor, scope_id: uuid.UUID, key: str, fingerprint: str, member_id: uuid.UUID
) -> bool:
    """False when another request holds the key already."""
    claimed = await connection.execute(
        insert(idempotency_keys)
        .values(scope_id=scope_id, key=key, request_hash=fingerprint, member_id=member_id)
        .on_conflict_do_nothing()
        .returning(idempotency_keys.c.key)
    )
    return claimed.first() is not None
