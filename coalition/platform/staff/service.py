"""Staff people: invitations, accepting one, removal; and the rights a signed-in person acts with."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from coalition.platform.audit.service import record_change
from coalition.platform.auth.service import Principal
from coalition.platform.auth.tokens import CredentialKind
from coalition.platform.errors import DomainError, ErrorCode
from coalition.platform.outbox import service as outbox
from coalition.platform.runtime.database import AsyncSession, Executor
from coalition.platform.staff import factors, repository, rules
from coalition.platform.staff.repository import Listing as Listing
from coalition.platform.staff.rules import Grant

INVITATION_VALID = timedelta(days=7)
SIGN_IN_LINK_VALID = timedelta(minutes=15)
INVITATION = "INVITATION"
SIGN_IN = "SIGN_IN"
# Where the portal's pages take the token; the page confirms with a POST, as mail scanners open links.
INVITATION_PATH = "/portal/invitation/"
SIGN_IN_LINK_PATH = "/portal/sign-in/link/"


@dataclass(frozen=True)
class Mailing:
    """Where links point and who mails come from (``COALITION_PUBLIC_URL``, ``COALITION_MAIL_FROM``)."""

    public_url: str
    mail_from: str

    def link(self, path: str, token: str) -> str:
        return self.public_url.rstrip("/") + path + token


@dataclass(frozen=True)
class Invitation:
    person_id: uuid.UUID
    sign_in_url: str


@dataclass(frozen=True)
class Welcome:
    """What an invited person sees once, on accepting: the authenticator
    secret (as a QR code) and recovery codes, if their roles need a second factor."""

    person_id: uuid.UUID
    totp_secret: str | None
    totp_uri: str | None
    recovery_codes: list[str]


def principal_for(person_id: uuid.UUID, coalition_id: uuid.UUID, grant: Grant) -> Principal:
    """The API rights of a signed-in person acting in ``grant``; the audit names the person."""
    kind, role = rules.api_rights(grant)
    return Principal(
        credential_id=None, kind=kind, coalition_id=coalition_id, partner_id=grant.partner_id, role=role,
        person_id=person_id, finance_only=grant.role is rules.StaffRole.OPERATOR_FINANCE,
    )  # fmt: skip


async def send_link(
    session: AsyncSession,
    person: repository.PersonRecord,
    *,
    purpose: str,
    mailing: Mailing,
    now: datetime,
) -> str:
    """A new one-time link for ``person``, mailed through the outbox; its URL."""
    token = factors.new_link_token()
    valid = INVITATION_VALID if purpose == INVITATION else SIGN_IN_LINK_VALID
    await repository.insert_link(
        session, token_hash=factors.link_token_hash(token), person_id=person.id, purpose=purpose, expires_at=now + valid
    )
    if purpose == INVITATION:
        url = mailing.link(INVITATION_PATH, token)
        subject = "You are invited to the Coalition portal"
        body = f"Hello {person.name},\n\nOpen this link within 7 days to choose your password:\n\n{url}\n"
    else:
        url = mailing.link(SIGN_IN_LINK_PATH, token)
        subject = "Your sign-in link"
        body = f"Hello {person.name},\n\nOpen this link within 15 minutes to sign in (it works once):\n\n{url}\n"
    body += "\nIf you did not expect this mail, ignore it.\n"
    await outbox.enqueue(
        session,
        coalition_id=person.coalition_id,
        recipient=person.email,
        subject=subject,
        body=body,
        mail_from=mailing.mail_from,
    )
    return url


async def invite(
    session: AsyncSession,
    by: Principal,
    granter: Sequence[Grant],
    *,
    email: str,
    name: str,
    language: str,
    grant: Grant,
    mailing: Mailing,
    now: datetime,
) -> Invitation:
    """Give ``grant`` to the person with this address (a new person if there
    is none) and mail them an invitation link; ``granter`` is what ``by`` holds."""
    address = rules.normalised_email(email)
    rules.check_may_grant(granter, grant)
    if not name.strip():
        raise DomainError(ErrorCode.VALIDATION, "a name is needed", ("name",))
    if grant.partner_id is not None and not await repository.partner_in_coalition(
        session, grant.partner_id, by.coalition_id
    ):
        raise DomainError(ErrorCode.NOT_FOUND, f"no partner {grant.partner_id} in this coalition", ("partnerId",))
    person = await repository.active_person_by_email(session, by.coalition_id, address, lock=True)
    if person is None:
        person_id = await repository.insert_person(
            session,
            coalition_id=by.coalition_id,
            email=address,
            name=name.strip(),
            language=rules.checked_language(language),
        )
        person = await repository.person_by_id(session, person_id)
        assert person is not None
    await repository.add_grant(session, person.id, grant)
    url = await send_link(session, person, purpose=INVITATION, mailing=mailing, now=now)
    await record_change(
        session, by, "staff.invite", person.id,
        after={"email": address, "role": grant.role.value, "partnerId": str(grant.partner_id or "") or None},
    )  # fmt: skip
    return Invitation(person.id, url)


async def accept_invitation(
    session: AsyncSession, *, coalition_id: uuid.UUID, token: str, password: str, now: datetime,
    name: str | None = None, language: str | None = None, totp_secret: str | None = None,
    totp_code: str | None = None,
) -> Welcome:  # fmt: skip
    """Spend an invitation link: the person chooses a password (and may
    correct their name and language). If their roles need it, they receive a
    TOTP secret and recovery codes (shown once). A page that showed the
    secret first passes it with the code read back from the authenticator
    (``totp_secret``, ``totp_code``); anyone may enrol one that way. Any
    refusal comes before the link is spent."""
    rules.checked_password(password)
    if name is not None and not name.strip():
        raise DomainError(ErrorCode.VALIDATION, "a name is needed", ("name",))
    if language is not None:
        rules.checked_language(language)
    if totp_secret is not None and not factors.totp_matches(totp_secret, totp_code or ""):
        raise DomainError(ErrorCode.VALIDATION, "this code does not match: type the app's current code", ("code",))
    person_id = await repository.use_link(session, factors.link_token_hash(token), INVITATION, coalition_id, now)
    if person_id is None:
        raise DomainError(ErrorCode.NOT_FOUND, "this invitation is not valid (used, expired or unknown)", ("token",))
    person = await repository.person_by_id(session, person_id)
    assert person is not None
    grants = await repository.grants_of(session, person_id)
    secret: str | None = None
    codes: list[str] = []
    if rules.needs_second_factor(grants) or totp_secret is not None:
        secret = totp_secret or factors.new_totp_secret()
        codes = factors.new_recovery_codes()
        await repository.replace_recovery_codes(session, person_id, [factors.recovery_code_hash(c) for c in codes])
    await repository.set_credentials(
        session, person_id, password_hash=factors.hash_password(password), totp_secret=secret
    )
    if name is not None or language is not None:
        await repository.set_profile(
            session, person_id, name=(name or person.name).strip(), language=language or person.language
        )
    await record_change(session, principal_for(person_id, coalition_id, grants[0]), "staff.accept", person_id)
    return Welcome(person_id, secret, factors.totp_provisioning_uri(secret, person.email) if secret else None, codes)


async def choose_language(session: AsyncSession, principal: Principal, language: str) -> str:
    """A signed-in person's own choice of language, kept on their record: the
    pages after their next sign-in, and what is written to them, use it."""
    chosen = rules.checked_language(language)
    if principal.person_id is None:
        raise DomainError(ErrorCode.FORBIDDEN, "only a signed-in staff person has a language of their own")
    person = await repository.person_by_id(session, principal.person_id)
    if person is None or person.removed_at is not None or person.coalition_id != principal.coalition_id:
        raise DomainError(ErrorCode.NOT_FOUND, "no such staff person")
    if person.language != chosen:
        await repository.set_profile(session, person.id, name=person.name, language=chosen)
        await record_change(session, principal, "staff.language", person.id,
                            before={"language": person.language}, after={"language": chosen})  # fmt: skip
    return chosen


async def acting_grants(session: AsyncSession, principal: Principal) -> list[Grant]:
    """What a caller holds when appointing or removing staff: a signed-in
    person their roles in the shop (or the operator side) they act for; the
    operator's own credential as its admin; any other key nothing."""
    if principal.person_id is None:
        return [Grant(rules.StaffRole.OPERATOR_ADMIN)] if principal.kind is CredentialKind.OPERATOR else []
    held = await repository.grants_of(session, principal.person_id)
    if principal.kind is CredentialKind.OPERATOR:
        return [grant for grant in held if grant.role in rules.OPERATOR_ROLES]
    return [grant for grant in held if grant.partner_id is not None and grant.partner_id == principal.partner_id]


async def remove(
    session: AsyncSession, by: Principal, granter: Sequence[Grant], *, email: str, now: datetime
) -> uuid.UUID:
    """Remove a person (whoever may appoint each of their roles may remove
    them). Once this commits, the caller ends their sessions
    (``sessions.close_all_for``); sign-in refuses them from the commit on."""
    person = await repository.active_person_by_email(session, by.coalition_id, email.strip(), lock=True)
    if person is None:
        raise DomainError(ErrorCode.NOT_FOUND, f"no staff member with the address {email!r}", ("email",))
    for grant in await repository.grants_of(session, person.id):
        rules.check_may_grant(granter, grant)
    await repository.mark_removed(session, person.id, now)
    await record_change(session, by, "staff.remove", person.id, before={"email": person.email})
    return person.id


async def people(connection: Executor, coalition_id: uuid.UUID, partner_id: uuid.UUID | None) -> list[Listing]:
    """The staff in place: the whole coalition's, or one shop's."""
    return await repository.people_of(connection, coalition_id, partner_id)
