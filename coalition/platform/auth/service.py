"""Issuing, verifying and revoking credentials."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from coalition.platform.audit.service import record as audit
from coalition.platform.auth.tables import credentials
from coalition.platform.auth.tokens import CredentialKind, PartnerRole, new_token, token_hash
from coalition.platform.coalitions.tables import partners
from coalition.platform.members.tables import members
from coalition.platform.runtime.caching import Remembered
from coalition.platform.runtime.database import Executor


@dataclass(frozen=True)
class Principal:
    """Who is calling: one credential, scoped to one coalition; or, with no
    credential, an operator at the command line of the machine itself."""

    credential_id: uuid.UUID | None
    kind: CredentialKind
    coalition_id: uuid.UUID
    partner_id: uuid.UUID | None = None
    role: PartnerRole | None = None
    member_id: uuid.UUID | None = None
    via: str | None = None

    @classmethod
    def local_operator(cls, coalition_id: uuid.UUID, via: str) -> Principal:
        """The operator acting through ``via`` (the CLI, the demo seed), not the API."""
        return cls(credential_id=None, kind=CredentialKind.OPERATOR, coalition_id=coalition_id, via=via)

    @property
    def actor(self) -> str:
        """How the audit log names this caller."""
        if self.credential_id is None:
            return f"{self.kind}:{self.coalition_id}:{self.via}"
        subject = self.partner_id or self.member_id or self.coalition_id
        role = f"/{self.role}" if self.role else ""
        return f"{self.kind}{role}:{subject}:credential:{self.credential_id}"


async def issue(
    connection: Executor,
    *,
    coalition_id: uuid.UUID,
    kind: CredentialKind,
    partner_id: uuid.UUID | None = None,
    role: PartnerRole | None = None,
    member_id: uuid.UUID | None = None,
    label: str | None = None,
) -> tuple[uuid.UUID, str]:
    """A new credential; the token is returned here and never again."""
    token = new_token(kind)
    credential_id = (
        await connection.execute(
            credentials.insert()
            .values(
                coalition_id=coalition_id,
                kind=kind,
                role=role,
                partner_id=partner_id,
                member_id=member_id,
                token_hash=token_hash(token),
                label=label,
            )
            .returning(credentials.c.id)
        )
    ).scalar_one()
    return credential_id, token


async def revoke(connection: Executor, principal: Principal, credential_id: uuid.UUID) -> bool:
    """Revoke an active credential of the principal's coalition and audit it;
    False if there is none. Callers broadcast the revocation after commit."""
    result = await connection.execute(
        update(credentials)
        .where(
            credentials.c.id == credential_id,
            credentials.c.coalition_id == principal.coalition_id,
            credentials.c.revoked_at.is_(None),
        )
        .values(revoked_at=datetime.now(UTC))
        .returning(credentials.c.id)
    )
    if result.first() is None:
        return False
    await audit(
        connection,
        coalition_id=principal.coalition_id,
        actor=principal.actor,
        action="credential.revoke",
        subject_id=credential_id,
    )
    return True


class Authenticator:
    """Verifies bearer tokens, remembering a verified one for a few seconds so
    the till's hot path needs no lookup. Revocations in this process take effect
    at once, in others when Redis broadcasts them (or within ``ttl`` seconds)."""

    def __init__(self, engine: AsyncEngine, ttl: float) -> None:
        self._engine = engine
        self._principals: Remembered[bytes, Principal | None] = Remembered(self._lookup, ttl=ttl, maxsize=100_000)

    async def authenticate(self, token: str) -> Principal | None:
        return await self._principals.get(token_hash(token))

    async def _lookup(self, digest: bytes) -> Principal | None:
        now = datetime.now(UTC)
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
        async with self._engine.connect() as connection:
            row = (await connection.execute(query)).first()
        if row is None:
            return None
        return Principal(
            credential_id=row.id,
            kind=CredentialKind(row.kind),
            coalition_id=row.coalition_id,
            partner_id=row.partner_id,
            role=PartnerRole(row.role) if row.role else None,
            member_id=row.member_id,
        )

    def forget_all(self) -> None:
        """Drop every remembered credential (after a revocation)."""
        self._principals.forget_all()
