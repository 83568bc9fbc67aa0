"""Passkeys (WebAuthn): a member adds one from the wallet once signed in,
then signs in with it. The ceremonies' checks are the ``webauthn`` library's;
this module keeps the challenges (in Redis, five minutes, used once) and the
credentials (``member_passkeys``)."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from redis.asyncio import Redis
from sqlalchemy.exc import IntegrityError
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import parse_authentication_credential_json
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from coalition.platform.audit.service import record_change
from coalition.platform.errors import DomainError, ErrorCode, validation
from coalition.platform.members import repository
from coalition.platform.members.repository import MemberRecord, PasskeyRecord
from coalition.platform.runtime.database import AsyncSession, Executor

CHALLENGE_VALID = timedelta(minutes=5)
MAX_NAME = 60
MAX_PASSKEYS = 10


@dataclass(frozen=True)
class MemberActor:
    """A member changing their own sign-in, as the audit log names them."""

    coalition_id: uuid.UUID
    member_id: uuid.UUID

    @property
    def actor(self) -> str:
        return f"member:{self.member_id}:web:wallet"


@dataclass(frozen=True)
class RelyingParty:
    """The site passkeys are made for: its host name and origin, from ``COALITION_PUBLIC_URL``."""

    id: str
    name: str
    origin: str

    @classmethod
    def of(cls, public_url: str, name: str) -> RelyingParty:
        parts = urlsplit(public_url)
        return cls(id=parts.hostname or "localhost", name=name, origin=f"{parts.scheme}://{parts.netloc}")


def _challenge_key(kind: str, ceremony: str) -> str:
    return f"wallet:passkey-challenge:{kind}:{hashlib.sha256(ceremony.encode()).hexdigest()}"


async def _take_challenge(redis: Redis, kind: str, ceremony: str) -> bytes | None:
    stored = await redis.getdel(_challenge_key(kind, ceremony))
    if stored is None:
        return None
    return bytes.fromhex(stored.decode() if isinstance(stored, bytes) else stored)


def check_name(name: str | None) -> str:
    cleaned = " ".join((name or "").split())
    if not cleaned:
        return "Passkey"
    if len(cleaned) > MAX_NAME:
        raise validation(f"name has at most {MAX_NAME} characters", "name")
    return cleaned


async def passkeys_of(connection: Executor, member_id: uuid.UUID) -> list[PasskeyRecord]:
    return await repository.passkeys_of(connection, [member_id])


async def registration_options(
    redis: Redis, party: RelyingParty, *, ceremony: str, member: MemberRecord, existing: list[PasskeyRecord]
) -> str:
    """The options for ``navigator.credentials.create`` (JSON); the challenge is kept for ``ceremony``."""
    options = generate_registration_options(
        rp_id=party.id,
        rp_name=party.name,
        user_id=member.id.bytes,
        user_name=member.email or member.card_number,
        exclude_credentials=[PublicKeyCredentialDescriptor(id=key.credential_id) for key in existing],
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED, user_verification=UserVerificationRequirement.PREFERRED
        ),
    )
    await redis.set(_challenge_key("add", ceremony), options.challenge.hex(), ex=int(CHALLENGE_VALID.total_seconds()))
    return options_to_json(options)


async def register(
    session: AsyncSession, redis: Redis, party: RelyingParty, *, ceremony: str, by: MemberActor,
    credential: str, name: str | None, now: datetime,
) -> PasskeyRecord:  # fmt: skip
    """Keep the passkey the browser made, once the library verified it answers our challenge."""
    label = check_name(name)
    challenge = await _take_challenge(redis, "add", ceremony)
    if challenge is None:
        raise DomainError(ErrorCode.FORBIDDEN, "this passkey request expired: start again", ("credential",))
    try:
        verified = verify_registration_response(
            credential=credential, expected_challenge=challenge, expected_rp_id=party.id,
            expected_origin=party.origin,
        )  # fmt: skip
    except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
        raise validation("the passkey could not be verified", "credential") from exc
    member_id = by.member_id
    if len(await repository.passkeys_of(session, [member_id])) >= MAX_PASSKEYS:
        raise DomainError(ErrorCode.LIMIT_EXCEEDED, f"at most {MAX_PASSKEYS} passkeys", ("credential",))
    try:
        async with session.begin_nested():
            passkey = await repository.insert_passkey(
                session, member_id=member_id, credential_id=verified.credential_id,
                public_key=verified.credential_public_key, sign_count=verified.sign_count, name=label,
                created_at=now,
            )  # fmt: skip
    except IntegrityError as exc:
        raise DomainError(ErrorCode.CONFLICT, "this passkey is already registered", ("credential",)) from exc
    await record_change(session, by, "member.passkey_add", passkey.id, after={"name": label})
    return passkey


async def authentication_options(redis: Redis, party: RelyingParty) -> tuple[str, str]:
    """A new ceremony's id and the options for ``navigator.credentials.get`` (JSON):
    no credentials named, so the browser offers the passkeys it holds for this site."""
    ceremony = secrets.token_urlsafe(24)
    options = generate_authentication_options(rp_id=party.id, user_verification=UserVerificationRequirement.PREFERRED)
    await redis.set(
        _challenge_key("sign-in", ceremony), options.challenge.hex(), ex=int(CHALLENGE_VALID.total_seconds())
    )
    return ceremony, options_to_json(options)


async def authenticate(
    session: AsyncSession, redis: Redis, party: RelyingParty, *, coalition_id: uuid.UUID, ceremony: str,
    credential: str, now: datetime,
) -> MemberRecord | None:  # fmt: skip
    """The active member whose passkey signed our challenge; None for anything else."""
    challenge = await _take_challenge(redis, "sign-in", ceremony)
    if challenge is None:
        return None
    try:
        parsed = parse_authentication_credential_json(credential)
    except (WebAuthnException, ValueError, KeyError, TypeError):
        return None
    found = await repository.passkey_by_credential(session, coalition_id, parsed.raw_id)
    if found is None:
        return None
    passkey, member = found
    try:
        verified = verify_authentication_response(
            credential=parsed, expected_challenge=challenge, expected_rp_id=party.id, expected_origin=party.origin,
            credential_public_key=passkey.public_key, credential_current_sign_count=passkey.sign_count,
        )  # fmt: skip
    except (WebAuthnException, ValueError, KeyError, TypeError):
        return None
    if member.status != "ACTIVE":
        return None
    await repository.passkey_used(session, passkey.id, verified.new_sign_count, now)
    return member


async def remove(session: AsyncSession, by: MemberActor, passkey_id: uuid.UUID) -> None:
    if not await repository.delete_passkey(session, by.member_id, passkey_id):
        raise DomainError(ErrorCode.NOT_FOUND, "no such passkey", ("passkey",))
    await record_change(session, by, "member.passkey_remove", passkey_id)
