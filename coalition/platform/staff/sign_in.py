"""Signing a staff person in: password with a second factor, or an e-mailed one-time link.

Every attempt, good or bad, is written to the audit log; a refusal is
returned rather than raised, so the entry point commits that record. The
refusal says the same whatever was wrong (unknown address, password, code)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from coalition.platform.audit.service import record_change
from coalition.platform.auth.service import Principal
from coalition.platform.errors import ErrorCode
from coalition.platform.runtime.database import AsyncSession
from coalition.platform.staff import factors, repository, rules
from coalition.platform.staff.limits import SignInLimits
from coalition.platform.staff.rules import Grant
from coalition.platform.staff.service import SIGN_IN, Mailing, principal_for, send_link

WRONG = "wrong e-mail address, password or code"
LOCKED = "too many failed sign-ins: try again in 15 minutes"


@dataclass(frozen=True)
class SignedIn:
    person_id: uuid.UUID
    coalition_id: uuid.UUID
    grants: list[Grant]

    def principal(self, grant: Grant | None = None) -> Principal:
        """The person's API rights in ``grant`` (by default their first role)."""
        chosen = grant or self.grants[0]
        if chosen not in self.grants:
            raise ValueError("not one of this person's roles")
        return principal_for(self.person_id, self.coalition_id, chosen)


@dataclass(frozen=True)
class CodeNeeded:
    """The password was right; the person now gives their second factor
    (``with_second_factor``). Only for callers that ask in two steps."""

    person_id: uuid.UUID
    coalition_id: uuid.UUID


@dataclass(frozen=True)
class Refused:
    code: ErrorCode
    message: str


@dataclass(frozen=True)
class Attempt:
    coalition_id: uuid.UUID
    client: str  # the client's IP address, for the per-client limit and the audit
    now: datetime


async def _audit(
    session: AsyncSession, attempt: Attempt, action: str, person_id: uuid.UUID | None, **details: Any
) -> None:
    by = _SignInActor(attempt.coalition_id, f"staff:{person_id or 'unknown'}:client:{attempt.client}")
    await record_change(
        session, by, action, person_id, after={key: value for key, value in details.items() if value is not None}
    )


@dataclass(frozen=True)
class _SignInActor:
    """Who is signing in, as the audit log names them (not yet a principal)."""

    coalition_id: uuid.UUID
    actor: str


async def _second_factor(
    session: AsyncSession, limits: SignInLimits, person: repository.PersonRecord, code: str | None, now: datetime
) -> str | None:
    """Which second factor ``code`` is ("totp", "recovery code"), or None if neither."""
    if not code:
        return None
    if factors.totp_matches(person.totp_secret, code):
        return "totp" if await limits.first_use_of_totp(str(person.id), code) else None
    if await repository.use_recovery_code(session, person.id, factors.recovery_code_hash(code), now):
        return "recovery code"
    return None


async def _refuse(
    session: AsyncSession, limits: SignInLimits, attempt: Attempt, email: str, person_id: uuid.UUID | None, why: str
) -> Refused:
    await limits.failed(str(attempt.coalition_id), email, attempt.client)
    await _audit(session, attempt, "staff.sign_in_failed", person_id, email=email, reason=why)
    return Refused(ErrorCode.FORBIDDEN, WRONG)


def needs_code(person: repository.PersonRecord, grants: list[Grant]) -> bool:
    """Whether this person gives a second factor when signing in."""
    # Required for some roles; anyone who enrolled an authenticator uses it.
    return rules.needs_second_factor(grants) or person.totp_secret is not None


async def with_password(
    session: AsyncSession, limits: SignInLimits, attempt: Attempt, *, email: str, password: str, code: str | None,
    two_steps: bool = False,
) -> SignedIn | CodeNeeded | Refused:  # fmt: skip
    """Password, plus a TOTP or recovery code for operator staff and shop
    owners (and whoever enrolled one). With ``two_steps`` and no code, a right
    password answers ``CodeNeeded`` instead of failing."""
    coalition = str(attempt.coalition_id)
    if await limits.locked(coalition, email, attempt.client):
        await _audit(session, attempt, "staff.sign_in_locked", None, email=email)
        return Refused(ErrorCode.LIMIT_EXCEEDED, LOCKED)
    person = await repository.active_person_by_email(session, attempt.coalition_id, email.strip())
    if person is None:
        factors.wasted_password_check(password)
        return await _refuse(session, limits, attempt, email, None, "unknown address")
    if not factors.password_matches(person.password_hash, password):
        return await _refuse(session, limits, attempt, email, person.id, "password")
    grants = await repository.grants_of(session, person.id)
    method = "password"
    if two_steps and not code and needs_code(person, grants):
        await _audit(session, attempt, "staff.sign_in_password_accepted", person.id)
        return CodeNeeded(person.id, person.coalition_id)
    if needs_code(person, grants):
        second = await _second_factor(session, limits, person, code, attempt.now)
        if second is None:
            return await _refuse(session, limits, attempt, email, person.id, "second factor")
        method += " + " + second
    await limits.succeeded(coalition, email)
    await _audit(session, attempt, "staff.sign_in", person.id, method=method)
    return SignedIn(person.id, person.coalition_id, grants)


async def request_link(
    session: AsyncSession, limits: SignInLimits, attempt: Attempt, *, email: str, mailing: Mailing
) -> None:
    """Mail a one-time sign-in link (15 minutes, single use) if the address
    belongs to someone; the caller answers the same either way. Each request
    counts towards the limits, so the link cannot be used to flood a mailbox."""
    coalition = str(attempt.coalition_id)
    if await limits.locked(coalition, email, attempt.client):
        await _audit(session, attempt, "staff.sign_in_locked", None, email=email)
        return
    await limits.failed(coalition, email, attempt.client)
    person = await repository.active_person_by_email(session, attempt.coalition_id, email.strip())
    if person is None:
        await _audit(session, attempt, "staff.sign_in_link_refused", None, email=email)
        return
    await send_link(session, person, purpose=SIGN_IN, mailing=mailing, now=attempt.now)
    await _audit(session, attempt, "staff.sign_in_link_sent", person.id)


async def with_link(
    session: AsyncSession, limits: SignInLimits, attempt: Attempt, *, token: str, code: str | None
) -> SignedIn | Refused:
    """Spend a sign-in link; operator staff and shop owners also give their
    second factor (a wrong code leaves the link usable until it expires)."""
    digest = factors.link_token_hash(token)
    person_id = await repository.link_owner(session, digest, SIGN_IN, attempt.coalition_id, attempt.now)
    person = None if person_id is None else await repository.person_by_id(session, person_id)
    if person is None:
        await _audit(session, attempt, "staff.sign_in_failed", None, reason="invalid link")
        return Refused(ErrorCode.FORBIDDEN, "this sign-in link is not valid (used, expired or unknown)")
    if await limits.locked(str(attempt.coalition_id), person.email, attempt.client):
        await _audit(session, attempt, "staff.sign_in_locked", person.id)
        return Refused(ErrorCode.LIMIT_EXCEEDED, LOCKED)
    grants = await repository.grants_of(session, person.id)
    method = "link"
    if needs_code(person, grants):
        second = await _second_factor(session, limits, person, code, attempt.now)
        if second is None:
            return await _refuse(session, limits, attempt, person.email, person.id, "second factor")
        method += " + " + second
    if await repository.use_link(session, digest, SIGN_IN, attempt.coalition_id, attempt.now) is None:
        # Spent by a concurrent request between the look and now.
        await _audit(session, attempt, "staff.sign_in_failed", person.id, reason="invalid link")
        return Refused(ErrorCode.FORBIDDEN, "this sign-in link is not valid (used, expired or unknown)")
    await limits.succeeded(str(attempt.coalition_id), person.email)
    await _audit(session, attempt, "staff.sign_in", person.id, method=method)
    return SignedIn(person.id, person.coalition_id, grants)


async def with_second_factor(
    session: AsyncSession, limits: SignInLimits, attempt: Attempt, *, person_id: uuid.UUID, code: str
) -> SignedIn | Refused:
    """The second step after ``CodeNeeded``: the person's TOTP or recovery code."""
    person = await repository.person_by_id(session, person_id)
    if person is None or person.removed_at is not None or person.coalition_id != attempt.coalition_id:
        await _audit(session, attempt, "staff.sign_in_failed", person_id, reason="removed")
        return Refused(ErrorCode.FORBIDDEN, WRONG)
    if await limits.locked(str(attempt.coalition_id), person.email, attempt.client):
        await _audit(session, attempt, "staff.sign_in_locked", person.id)
        return Refused(ErrorCode.LIMIT_EXCEEDED, LOCKED)
    second = await _second_factor(session, limits, person, code, attempt.now)
    if second is None:
        return await _refuse(session, limits, attempt, person.email, person.id, "second factor")
    await limits.succeeded(str(attempt.coalition_id), person.email)
    await _audit(session, attempt, "staff.sign_in", person.id, method="password + " + second)
    return SignedIn(person.id, person.coalition_id, await repository.grants_of(session, person.id))
