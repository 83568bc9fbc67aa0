"""Queries for credentials."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from coalition.platform.auth.tables import credentials
from coalition.platform.auth.tokens import CredentialKind, PartnerRole
from coalition.platform.coalitions.tables import partners
from coalition.platform.members.tables import members
from coalition.platform.runtime.database import Executor


async def insert_credential(
    connection: Executor,
    *,
    coalition_id: uuid.UUID,
    kind: CredentialKind,
    role: PartnerRole | None,
    partner_id: uuid.UUID | None,
    member_id: uuid.UUID | None,
    token_hash: bytes,
    label: str | None,
) -> uuid.UUID:
    credential_id: uuid.UUID = (
        await connection.execute(
            credentials.insert()
            .values(
                coalition_id=coalition_id,
                kind=kind,
                role=role,
                partner_id=partner_id,
                member_id=member_id,
                token_hash=token_hash,
                label=label,
            )
            .returning(credentials.c.id)
        )
    ).scalar_one()
    return credential_id


async def revoke_credential(
    connection: Executor, coalition_id: uuid.UUID, credential_id: uuid.UUID, at: datetime,
    partner_id: uuid.UUID | None = None,
) -> bool:  # fmt: skip
    """False when the coalition (or, if given, the partner) has no such credential still active."""
    result = await connection.execute(
        update(credentials)
        .where(
            credentials.c.id == credential_id,
            credentials.c.coalition_id == coalition_id,
            credentials.c.revoked_at.is_(None),
            *([credentials.c.partner_id == partner_id] if partner_id is not None else []),
        )
        .values(revoked_at=at)
        .returning(credentials.c.id)
    )
    return result.first() is not None


@dataclass(frozen=True)
class ActiveCredential:
    id: uuid.UUID
    kind: CredentialKind
    coalition_id: uuid.UUID
    partner_id: uuid.UUID | None
    role: PartnerRole | None
    member_id: uuid.UUID | None


async def active_credential(connection: Executor, digest: bytes, now: datetime) -> ActiveCredential | None:
    query = (
        select(
            credentials.c.id,
            credentials.c.kind,
            credentials.c.coalition_id,
            credentials.c.partner_id,
            credentials.c.role,
            credentials.c.member_id,
        )
        .select_from(
            credentials.outerjoin(partners, partners.c.id == credentials.c.partner_id).outerjoin(
                members, members.c.id == credentials.c.member_id
            )
        )
        .where(
            credentials.c.token_hash == digest,
            credentials.c.revoked_at.is_(None),
            (credentials.c.expires_at.is_(None)) | (credentials.c.expires_at > now),
            # A terminated partner's keys and an erased member's tokens stop working.
            partners.c.status.is_distinct_from("TERMINATED"),
            members.c.status.is_distinct_from("ERASED"),
        )
    )
    row = (await connection.execute(query)).first()
    if row is None:
        return None
    return ActiveCredential(
        id=row.id,
        kind=CredentialKind(row.kind),
        coalition_id=row.coalition_id,
        partner_id=row.partner_id,
        role=PartnerRole(row.role) if row.role else None,
        member_id=row.member_id,
    )


@dataclass(frozen=True)
class PartnerKey:
    id: uuid.UUID
    role: PartnerRole
    label: str | None
    created_at: datetime


async def partner_keys(
    connection: Executor, coalition_id: uuid.UUID, partner_id: uuid.UUID, now: datetime
) -> list[PartnerKey]:
    """A partner's keys still in force, newest first."""
    rows = await connection.execute(
        select(credentials.c.id, credentials.c.role, credentials.c.label, credentials.c.created_at)
        .where(
            credentials.c.coalition_id == coalition_id,
            credentials.c.partner_id == partner_id,
            credentials.c.revoked_at.is_(None),
            (credentials.c.expires_at.is_(None)) | (credentials.c.expires_at > now),
        )
        .order_by(credentials.c.created_at.desc(), credentials.c.id.desc())
    )
    return [PartnerKey(row.id, PartnerRole(row.role), row.label, row.created_at) for row in rows]
