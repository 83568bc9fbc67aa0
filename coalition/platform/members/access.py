"""Getting into the wallet: joining, claiming a card enrolled at a till, and
what a spent one-time code lets in. Each ends with a code mailed to the
address, so an address is only ever used by someone who reads its mail."""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError

from coalition.platform.audit.service import record_change
from coalition.platform.errors import validation
from coalition.platform.ledger.service import check_card_number
from coalition.platform.members import repository, rules, service
from coalition.platform.members.codes import Asked, Codes, Compose, Mailing, Proven, Purpose, TooMany
from coalition.platform.members.passkeys import MemberActor
from coalition.platform.runtime.database import AsyncSession


def required_email(email: str | None) -> str:
    checked = rules.check_email(email or None)
    if checked is None:
        raise validation("an e-mail address is needed", "email")
    return checked


async def join(
    session: AsyncSession,
    codes: Codes,
    *,
    coalition_id: uuid.UUID,
    request: service.Enrolment,
    client: str | None,
    compose: Compose,
    mailing: Mailing,
) -> Asked | TooMany:
    """Enrol the member (an invite-only coalition wants an invite) and mail a
    sign-in code to confirm the address. An address that is a member's already
    gets a sign-in code instead, and the same answer: joining does not tell
    who is a member."""
    email = required_email(request.email)
    existing = await repository.active_member_by_email(session, coalition_id, email)
    if existing is None:
        await service.enrol(
            session, coalition_id=coalition_id, scope_id=coalition_id, partner_id=None, request=request,
            self_service=True,
        )  # fmt: skip
    return await codes.ask(
        session, coalition_id=coalition_id, email=email, purpose=Purpose.SIGN_IN, client=client, compose=compose,
        mailing=mailing,
    )  # fmt: skip


async def ask_to_claim(
    session: AsyncSession,
    codes: Codes,
    *,
    coalition_id: uuid.UUID,
    card_number: str,
    email: str,
    client: str | None,
    compose: Compose,
    mailing: Mailing,
) -> Asked | TooMany:
    """Mail a code to ``email`` that gives the card to that address, if the
    card is an active member's without another address and the address is
    nobody else's. The answer is the same either way."""
    card = check_card_number(card_number.strip().replace(" ", ""))
    address = required_email(email)
    member = await repository.member_by_card(session, coalition_id, card)
    eligible = (
        member is not None
        and member.status == "ACTIVE"
        and (member.email is None or member.email.lower() == address.lower())
        and (member.email is not None or not await repository.contact_taken(session, coalition_id, address, None))
    )
    return await codes.ask(
        session, coalition_id=coalition_id, email=address, purpose=Purpose.CLAIM, client=client, compose=compose,
        mailing=mailing, member_id=member.id if eligible and member else None,
    )  # fmt: skip


async def let_in(session: AsyncSession, proven: Proven) -> bool:
    """Whether the member a spent code names may come in: still active, and
    for a claim, the address now theirs (unless another member took it meanwhile)."""
    if proven.purpose is Purpose.CLAIM:
        try:
            async with session.begin_nested():
                claimed = await repository.claim_email(session, proven.member_id, proven.email)
        except IntegrityError:
            return False
        if claimed:
            by = MemberActor(proven.coalition_id, proven.member_id)
            await record_change(session, by, "member.card_claimed", proven.member_id, after={"emailConfirmed": True})
        return claimed
    found = await repository.members_by_ids(session, [proven.member_id])
    return bool(found) and found[0].status == "ACTIVE" and found[0].coalition_id == proven.coalition_id
