"""Enrolment: idempotent per (partner, key), like every till request."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy.exc import IntegrityError

from coalition.platform.errors import DomainError, ErrorCode
from coalition.platform.ledger.repository import create_wallet, post_bonus
from coalition.platform.ledger.service import check_card_number, check_idempotency_key, request_hash
from coalition.platform.members import repository, rules
from coalition.platform.members.repository import MemberRecord
from coalition.platform.programme import repository as programme
from coalition.platform.programme.rules import EnrolmentMode
from coalition.platform.runtime.database import AsyncSession


@dataclass(frozen=True)
class Enrolment:
    idempotency_key: str
    card_number: str | None
    email: str | None
    phone: str | None
    birth_date: date | None
    invite_code: str | None = None
    referral_code: str | None = None


async def _replay(session: AsyncSession, scope_id: uuid.UUID, key: str, fingerprint: str) -> MemberRecord | None:
    row = await repository.enrolment_key(session, scope_id, key)
    if row is None:
        return None
    if row.request_hash != fingerprint or row.transaction_id is not None:
        raise DomainError(
            ErrorCode.IDEMPOTENCY_CONFLICT,
            "this idempotency key was used for a different request",
            ("idempotencyKey",),
        )
    assert row.member_id is not None
    return (await repository.members_by_ids(session, [row.member_id]))[0]


async def enrol(
    session: AsyncSession,
    *,
    coalition_id: uuid.UUID,
    scope_id: uuid.UUID,
    partner_id: uuid.UUID | None,
    request: Enrolment,
    self_service: bool = False,
) -> MemberRecord:
    """A new member with an empty wallet, or the one this key enrolled before.
    ``self_service``: the member joins in the wallet, so an invite-only
    coalition asks them for an invite as a till would (the operator needs none)."""
    key = check_idempotency_key(request.idempotency_key)
    card = check_card_number(request.card_number) if request.card_number else None
    email = rules.check_email(request.email)
    phone = rules.check_phone(request.phone)
    birth_date = rules.check_birth_date(request.birth_date, datetime.now(UTC).date())
    invite = rules.check_invite_code(request.invite_code) if request.invite_code else None
    referral = rules.check_referral_code(request.referral_code) if request.referral_code else None
    fingerprint = request_hash(
        "enrol",
        {"card": card, "email": email, "phone": phone, "birthDate": birth_date, "invite": invite, "referral": referral},
    )
    replayed = await _replay(session, scope_id, key, fingerprint)
    if replayed is not None:
        return replayed

    member_id = await repository.new_member_id(session)
    if not await repository.claim_enrolment_key(session, scope_id, key, fingerprint, member_id):
        # A copy of this request committed while we were looking.
        replayed = await _replay(session, scope_id, key, fingerprint)
        assert replayed is not None
        return replayed

    programme_rules = await programme.load_rules(session, coalition_id)
    invite_only = programme_rules.enrolment is EnrolmentMode.INVITE_ONLY and (partner_id is not None or self_service)
    if invite_only and (invite is None or not await programme.use_invite(session, coalition_id, invite, _now())):
        raise DomainError(
            ErrorCode.MEMBER_NOT_ELIGIBLE,
            "this coalition is invite-only: a valid, unused invite code is needed",
            ("inviteCode",),
        )
    referrer = None
    if referral is not None:
        referrer = await repository.member_by_referral_code(session, coalition_id, referral)
        if referrer is None or referrer.status != "ACTIVE":
            raise DomainError(ErrorCode.NOT_FOUND, "no member has this referral code", ("referralCode",))
    if card is not None and await repository.member_by_card(session, coalition_id, card):
        raise DomainError(ErrorCode.CONFLICT, "this card is already enrolled", ("cardNumber",))
    if await repository.contact_taken(session, coalition_id, email, phone):
        raise DomainError(ErrorCode.CONFLICT, "a member with this e-mail or phone is already enrolled")
    try:
        async with session.begin_nested():
            member = await repository.insert_member(
                session,
                id=member_id,
                coalition_id=coalition_id,
                card_number=card or rules.new_card_number(),
                email=email,
                phone=phone,
                birth_date=birth_date,
                enrolled_by_partner_id=partner_id,
                referral_code=rules.new_referral_code(),
                referred_by_member_id=referrer.id if referrer else None,
            )
            await create_wallet(session, member.id, coalition_id)
            await programme.create_activity(session, member.id)
    except IntegrityError as exc:
        raise DomainError(ErrorCode.CONFLICT, "this member is already enrolled") from exc
    signup = programme_rules.bonuses.signup
    if signup:
        await post_bonus(session, member.id, coalition_id, signup, [f"Welcome bonus (coalition): +{signup}"], "signup")
    return member


async def apply_referral_code(
    session: AsyncSession, coalition_id: uuid.UUID, member_id: uuid.UUID, code: str
) -> MemberRecord:
    """A member who joined without a referral names who referred them, before
    their first purchase."""
    referral = rules.check_referral_code(code)
    member = await repository.member_for_update(session, member_id)
    if member is None or member.coalition_id != coalition_id:
        raise DomainError(ErrorCode.NOT_FOUND, "no such member")
    referrer = await repository.member_by_referral_code(session, coalition_id, referral)
    if referrer is None or referrer.status != "ACTIVE":
        raise DomainError(ErrorCode.NOT_FOUND, "no member has this referral code", ("referralCode",))
    rules.check_referral(member.id, await repository.referrer_chain(session, referrer.id))
    if member.referred_by_member_id is not None:
        raise DomainError(ErrorCode.CONFLICT, "a referral is already recorded for this member", ("referralCode",))
    if await repository.has_purchased(session, member_id):
        raise DomainError(ErrorCode.CONFLICT, "referral codes apply before the first purchase", ("referralCode",))
    return await repository.set_referrer(session, member_id, referrer.id)


def _now() -> datetime:
    return datetime.now(UTC)
