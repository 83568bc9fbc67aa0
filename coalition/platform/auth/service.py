"""Issuing, verifying and revoking credentials."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from coalition.platform.audit.service import record_change
from coalition.platform.auth import repository
from coalition.platform.auth.repository import PartnerKey as PartnerKey
from coalition.platform.auth.tokens import CredentialKind, PartnerRole, new_token, token_hash
from coalition.platform.runtime.broadcasts import CREDENTIALS_REVOKED
from coalition.platform.runtime.caching import Remembered
from coalition.platform.runtime.database import AsyncSession, Executor
from coalition.platform.runtime.unit_of_work import announce_after_commit


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
    # A signed-in staff person acting with these rights: the audit names them.
    person_id: uuid.UUID | None = None
    # Operator finance staff: the operator's reads and the settlement steps
    # (settle, approve, mark paid), none of the operator's other changes.
    finance_only: bool = False

    @classmethod
    def local_operator(cls, coalition_id: uuid.UUID, via: str) -> Principal:
        """The operator acting through ``via`` (the CLI, the demo seed), not the API."""
        return cls(credential_id=None, kind=CredentialKind.OPERATOR, coalition_id=coalition_id, via=via)

    @property
    def actor(self) -> str:
        """How the audit log names this caller."""
        if self.credential_id is None and self.person_id is None:
            return f"{self.kind}:{self.coalition_id}:{self.via}"
        subject = self.partner_id or self.member_id or self.coalition_id
        role = f"/{self.role}" if self.role else ""
        if self.person_id is not None:
            return f"{self.kind}{role}:{subject}:person:{self.person_id}"
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
    credential_id = await repository.insert_credential(
        connection,
        coalition_id=coalition_id,
        kind=kind,
        role=role,
        partner_id=partner_id,
        member_id=member_id,
        token_hash=token_hash(token),
        label=label,
    )
    return credential_id, token


async def revoke(
    session: AsyncSession, principal: Principal, credential_id: uuid.UUID, *, partner_id: uuid.UUID | None = None
) -> bool:
    """Revoke an active credential of the principal's coalition (of that
    partner's, if given) and audit it; False if there is none. Every process
    forgets it once this commits."""
    if not await repository.revoke_credential(
        session, principal.coalition_id, credential_id, datetime.now(UTC), partner_id
    ):
        return False
    announce_after_commit(session, CREDENTIALS_REVOKED)
    await record_change(session, principal, "credential.revoke", credential_id)
    return True


class Authenticator:
    """Verifies bearer tokens, remembering a verified one for a few seconds so
    the till's hot path needs no lookup. Revocations in this process take effect
    at once, in others when Redis broadcasts them. While broadcasts cannot
    reach this process (``trusted()`` is false), nothing is remembered: a
    credential is looked up on every request rather than trusted stale."""

    def __init__(self, engine: AsyncEngine, ttl: float, trusted: Callable[[], bool] = lambda: True) -> None:
        self._engine = engine
        self._principals: Remembered[bytes, Principal | None] = Remembered(
            self._lookup, ttl=ttl, maxsize=100_000, trusted=trusted
        )

    async def authenticate(self, token: str) -> Principal | None:
        return await self._principals.get(token_hash(token))

    async def _lookup(self, digest: bytes) -> Principal | None:
        async with self._engine.connect() as connection:
            found = await repository.active_credential(connection, digest, datetime.now(UTC))
        if found is None:
            return None
        return Principal(
            credential_id=found.id,
            kind=found.kind,
            coalition_id=found.coalition_id,
            partner_id=found.partner_id,
            role=found.role,
            member_id=found.member_id,
        )

    def forget_all(self) -> None:
        """Drop every remembered credential (after a revocation)."""
        self._principals.forget_all()


async def partner_keys(connection: Executor, coalition_id: uuid.UUID, partner_id: uuid.UUID) -> list[PartnerKey]:
    """A partner's keys in force (what they are, never the tokens)."""
    return await repository.partner_keys(connection, coalition_id, partner_id, datetime.now(UTC))
