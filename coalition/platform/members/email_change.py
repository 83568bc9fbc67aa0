"""A member moving their wallet to another e-mail address, proven by a code
mailed to the new one (as sign-in codes are: six digits, once, ten minutes,
five tries, rate-limited, kept hashed in Redis).

Sign-in codes go to the address, so an unproven new address (a typo, or one
set from a borrowed session) would lock the member out: the address changes
only when the code sent to it is typed. The old address is told, without the
code, so a member whose session was borrowed hears of it. The operator's
support still sets an address directly (``privacy.update_profile``)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from coalition.platform.audit.service import Changer, record_change
from coalition.platform.errors import DomainError, ErrorCode, validation
from coalition.platform.members import privacy, rules
from coalition.platform.members import privacy_repository as repository
from coalition.platform.members.codes import Codes, Compose, Letter, Mailing, Purpose, Refusal, TooMany
from coalition.platform.outbox import service as outbox
from coalition.platform.runtime.database import AsyncSession, Executor

# (the new address, masked) -> the notice to the old address, in the reader's language
Notice = Callable[[str], Letter]


@dataclass(frozen=True)
class Letters:
    code: Compose
    notice: Notice


def masked(address: str) -> str:
    """``n***@example.org``: enough for the owner to recognise, not to learn the address."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"


def english(coalition_name: str) -> Letters:
    """The mails of an API caller, who has no page language."""

    def code(typed: str, _link: str) -> Letter:
        return Letter(
            subject=f"Confirm your new e-mail address for {coalition_name}: {typed}",
            body=f"You asked to move your wallet of {coalition_name} to this e-mail address.\n\n"
            f"Your code is {typed}. It works once, within 10 minutes.\n\n"
            "If you did not ask for this, ignore this mail: nothing happens without the code.\n",
        )

    def notice(new: str) -> Letter:
        return Letter(
            subject=f"Your wallet of {coalition_name}: a new e-mail address was asked for",
            body=f"Someone asked to move your wallet of {coalition_name} to {new}. If it was not you, "
            "sign in and look at your details: the address changes only when the code sent there is entered.\n",
        )

    return Letters(code, notice)


async def check_new_address(connection: Executor, by: Changer, member_id: uuid.UUID, email: str) -> str:
    """The new address as it will be kept; refused (VALIDATION or CONFLICT, on
    ``email``) when it is not an address, is the member's already, or another's."""
    current = (await privacy.profile(connection, by, member_id)).member.email
    return await _checked(connection, by, member_id, email, current)


async def _checked(connection: Executor, by: Changer, member_id: uuid.UUID, email: str, current: str | None) -> str:
    address = rules.check_email(email.strip() or None)
    if address is None:
        raise validation("email is required: members sign in with it", "email")
    if address.lower() == (current or "").lower():
        raise validation("email is the member's address already", "email")
    taken = await repository.contact_taken_by_other(
        connection, by.coalition_id, member_id, email=address, phone=None
    )  # fmt: skip
    if taken is not None:
        raise DomainError(ErrorCode.CONFLICT, "another member has this email", ("email",))
    return address


async def request(
    session: AsyncSession, codes: Codes, by: Changer, member_id: uuid.UUID, email: str, *, letters: Letters,
    mailing: Mailing, client: str | None,
) -> str | TooMany:  # fmt: skip
    """Mail a code to the checked new address and a notice to the old one;
    the new address (or how long to wait when too many codes were asked for).
    Nothing about the member changes."""
    if not privacy.is_member_self(by, member_id):
        raise DomainError(ErrorCode.FORBIDDEN, "only the member moves their wallet to a new address by code")
    old = (await privacy.profile(session, by, member_id)).member.email
    address = await _checked(session, by, member_id, email, old)
    outcome = await codes.ask(
        session, coalition_id=by.coalition_id, email=address, purpose=Purpose.EMAIL, client=client,
        compose=letters.code, mailing=mailing, member_id=member_id,
    )  # fmt: skip
    if isinstance(outcome, TooMany):
        raise DomainError(
            ErrorCode.LIMIT_EXCEEDED,
            f"too many codes asked for: wait {outcome.retry_after_seconds} seconds",
            ("email",),
        )
    if old:
        notice = letters.notice(masked(address))
        await outbox.enqueue(
            session, coalition_id=by.coalition_id, recipient=old, subject=notice.subject, body=notice.body,
            mail_from=mailing.mail_from,
        )  # fmt: skip
    await record_change(session, by, "member.email_change.requested", member_id)
    return address


async def confirm(
    session: AsyncSession, codes: Codes, by: Changer, member_id: uuid.UUID, typed: str
) -> privacy.Profile | Refusal:
    """The member's address is the one the code was mailed to, if ``typed`` is
    that code (audited as any profile change); else why not, nothing changed.
    The address taken by another member since the code was asked for is
    refused (CONFLICT) and the code is spent."""
    outcome = await codes.check_move(coalition_id=by.coalition_id, member_id=member_id, typed=typed)
    if isinstance(outcome, Refusal):
        return outcome
    changes = privacy.ProfileChanges(email=outcome.email)
    return await privacy.update_profile(session, by, member_id, changes, email_proven=True)
