"""Staff people end to end against PostgreSQL and Redis: invited by mail,
signing in with password and second factor or a one-time link, locked out
after repeated failures, every attempt audited, removed."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from redis.asyncio import Redis
from sqlalchemy import text

from coalition.platform.auth.tokens import CredentialKind, PartnerRole
from coalition.platform.errors import DomainError, ErrorCode
from coalition.platform.outbox.repository import mails_to
from coalition.platform.staff import service, sign_in
from coalition.platform.staff.limits import ACCOUNT_FAILURES, SignInLimits
from coalition.platform.staff.rules import Grant, StaffRole
from coalition.platform.staff.sign_in import Attempt, Refused, SignedIn

MAILING = service.Mailing("https://portal.town.example", "portal@town.example")
ADMIN = [Grant(StaffRole.OPERATOR_ADMIN)]
PASSWORD = "correct horse battery"


@pytest.fixture
async def limits(settings) -> AsyncIterator[SignInLimits]:
    redis = Redis.from_url(settings.redis_url)
    yield SignInLimits(redis)
    await redis.aclose()


def _attempt(town, now: datetime | None = None) -> Attempt:
    # A client address of its own per attempt series, so tests do not share the per-client count.
    return Attempt(
        town.coalition_id, f"198.51.100.{uuid.uuid4().int % 250}-{uuid.uuid4().hex[:6]}", now or datetime.now(UTC)
    )


async def _invite(town, email: str, grant: Grant, granter: list[Grant] = ADMIN) -> service.Invitation:
    async with town.sessions.begin() as session:
        return await service.invite(
            session, town.operator, granter, email=email, name="Ann", language="nl", grant=grant,
            mailing=MAILING, now=datetime.now(UTC),
        )  # fmt: skip


async def _accept(town, invitation: service.Invitation, password: str = PASSWORD) -> service.Welcome:
    token = invitation.sign_in_url.rsplit("/", 1)[1]
    async with town.sessions.begin() as session:
        return await service.accept_invitation(
            session, coalition_id=town.coalition_id, token=token, password=password, now=datetime.now(UTC)
        )


async def _with_password(
    town, limits: SignInLimits, email: str, password: str, code: str | None, attempt: Attempt | None = None
) -> SignedIn | Refused:
    async with town.sessions.begin() as session:
        return await sign_in.with_password(
            session, limits, attempt or _attempt(town), email=email, password=password, code=code
        )


async def _audit(town, action: str) -> list[dict]:
    async with town.engine.connect() as connection:
        rows = await connection.execute(
            text("SELECT actor, subject_id, after FROM audit_log WHERE coalition_id = :c AND action = :a ORDER BY at"),
            {"c": town.coalition_id, "a": action},
        )
        return [dict(row._mapping) for row in rows]


async def test_an_invited_owner_signs_in_with_password_and_totp_acting_as_the_shops_manager(town, limits) -> None:
    shop, _ = await town.partner("Bakery")
    email = f"ann-{uuid.uuid4().hex[:6]}@bakery.example"
    invitation = await _invite(town, email, Grant(StaffRole.OWNER, shop))
    async with town.engine.connect() as connection:
        [mail] = await mails_to(connection, town.coalition_id, email.upper())
    assert invitation.sign_in_url.startswith("https://portal.town.example/portal/invitation/")
    assert invitation.sign_in_url in mail.body
    assert mail.sent_at is None

    welcome = await _accept(town, invitation)
    assert welcome.totp_secret
    assert welcome.totp_uri
    assert len(welcome.recovery_codes) == 10
    totp = pyotp.TOTP(welcome.totp_secret).now()

    without_code = await _with_password(town, limits, email, PASSWORD, None)
    signed_in = await _with_password(town, limits, email.upper(), PASSWORD, totp)
    replayed = await _with_password(town, limits, email, PASSWORD, totp)
    assert without_code == Refused(ErrorCode.FORBIDDEN, sign_in.WRONG)
    assert isinstance(signed_in, SignedIn)
    assert signed_in.person_id == invitation.person_id
    principal = signed_in.principal()
    assert (principal.kind, principal.role, principal.partner_id) == (CredentialKind.PARTNER, PartnerRole.MANAGER, shop)
    assert principal.actor.endswith(f":person:{invitation.person_id}")
    [success] = await _audit(town, "staff.sign_in")
    assert success["subject_id"] == invitation.person_id
    assert success["after"] == {"method": "password + totp"}
    assert replayed == Refused(ErrorCode.FORBIDDEN, sign_in.WRONG)  # a TOTP code works once
    failures = [row["after"]["reason"] for row in await _audit(town, "staff.sign_in_failed")]
    assert failures == ["second factor", "second factor"]


async def test_an_invitation_works_once(town) -> None:
    invitation = await _invite(town, f"op-{uuid.uuid4().hex[:6]}@town.example", Grant(StaffRole.OPERATOR_FINANCE))
    await _accept(town, invitation)
    with pytest.raises(DomainError) as refused:
        await _accept(town, invitation, "another long password")
    assert (refused.value.code, refused.value.field) == (ErrorCode.NOT_FOUND, ("token",))


async def test_each_recovery_code_works_once(town, limits) -> None:
    email = f"op-{uuid.uuid4().hex[:6]}@town.example"
    welcome = await _accept(town, await _invite(town, email, Grant(StaffRole.OPERATOR_ADMIN)))
    code = welcome.recovery_codes[3]
    first = await _with_password(town, limits, email, PASSWORD, code.upper())
    second = await _with_password(town, limits, email, PASSWORD, code)
    assert isinstance(first, SignedIn)
    assert first.principal().kind is CredentialKind.OPERATOR
    assert isinstance(second, Refused)


async def test_a_cashier_signs_in_with_a_password_alone_as_the_shops_till(town, limits) -> None:
    shop, _ = await town.partner("Bakery")
    email = f"cash-{uuid.uuid4().hex[:6]}@bakery.example"
    welcome = await _accept(
        town, await _invite(town, email, Grant(StaffRole.CASHIER, shop), [Grant(StaffRole.OWNER, shop)])
    )
    signed_in = await _with_password(town, limits, email, PASSWORD, None)
    assert welcome.totp_secret is None
    assert welcome.recovery_codes == []
    assert isinstance(signed_in, SignedIn)
    assert signed_in.principal().role is PartnerRole.POS


async def test_an_owner_cannot_appoint_staff_of_another_shop(town) -> None:
    shop, _ = await town.partner("Bakery")
    other, _ = await town.partner("Butcher")
    with pytest.raises(DomainError) as refused:
        await _invite(town, "x@butcher.example", Grant(StaffRole.CASHIER, other), [Grant(StaffRole.OWNER, shop)])
    assert refused.value.code is ErrorCode.FORBIDDEN
    async with town.engine.connect() as connection:
        assert await mails_to(connection, town.coalition_id, "x@butcher.example") == []


async def test_one_person_per_address_whatever_its_case(town) -> None:
    shop, _ = await town.partner("Bakery")
    first = await _invite(town, "Ann@Bakery.example", Grant(StaffRole.OWNER, shop))
    second = await _invite(town, "ann@bakery.EXAMPLE", Grant(StaffRole.OPERATOR_FINANCE))
    assert first.person_id == second.person_id


async def test_five_failures_lock_the_account_for_15_minutes_even_with_the_right_password(town, limits) -> None:
    shop, _ = await town.partner("Bakery")
    email = f"mgr-{uuid.uuid4().hex[:6]}@bakery.example"
    await _accept(town, await _invite(town, email, Grant(StaffRole.MANAGER, shop), [Grant(StaffRole.OWNER, shop)]))
    for _ in range(ACCOUNT_FAILURES):
        assert isinstance(await _with_password(town, limits, email, "wrong password!", None), Refused)
    locked = await _with_password(town, limits, email.upper(), PASSWORD, None)
    assert locked == Refused(ErrorCode.LIMIT_EXCEEDED, sign_in.LOCKED)
    assert len(await _audit(town, "staff.sign_in_failed")) == ACCOUNT_FAILURES
    assert len(await _audit(town, "staff.sign_in_locked")) == 1


async def test_an_unknown_address_is_refused_as_a_wrong_password_is_and_audited(town, limits) -> None:
    refused = await _with_password(town, limits, "nobody@town.example", PASSWORD, None)
    assert refused == Refused(ErrorCode.FORBIDDEN, sign_in.WRONG)
    [failure] = await _audit(town, "staff.sign_in_failed")
    assert failure["subject_id"] is None
    assert failure["after"]["reason"] == "unknown address"


async def test_an_emailed_link_signs_in_once_within_15_minutes(town, limits) -> None:
    shop, _ = await town.partner("Bakery")
    email = f"mgr-{uuid.uuid4().hex[:6]}@bakery.example"
    await _accept(town, await _invite(town, email, Grant(StaffRole.MANAGER, shop), [Grant(StaffRole.OWNER, shop)]))

    async def request() -> str:
        async with town.sessions.begin() as session:
            await sign_in.request_link(session, limits, _attempt(town), email=email, mailing=MAILING)
        async with town.engine.connect() as connection:
            latest = (await mails_to(connection, town.coalition_id, email))[-1]
        return latest.body.split(service.SIGN_IN_LINK_PATH, 1)[1].split()[0]

    async def use(token: str, now: datetime | None = None) -> SignedIn | Refused:
        async with town.sessions.begin() as session:
            return await sign_in.with_link(session, limits, _attempt(town, now), token=token, code=None)

    token = await request()
    first, again = await use(token), await use(token)
    late = await use(await request(), datetime.now(UTC) + timedelta(minutes=16))
    assert isinstance(first, SignedIn)
    assert first.principal().role is PartnerRole.MANAGER
    assert isinstance(again, Refused)
    assert isinstance(late, Refused)
    [success] = await _audit(town, "staff.sign_in")
    assert success["after"] == {"method": "link"}


async def test_a_removed_person_can_no_longer_sign_in(town, limits) -> None:
    email = f"fin-{uuid.uuid4().hex[:6]}@town.example"
    welcome = await _accept(town, await _invite(town, email, Grant(StaffRole.OPERATOR_FINANCE)))
    async with town.sessions.begin() as session:
        removed = await service.remove(session, town.operator, ADMIN, email=email.upper(), now=datetime.now(UTC))
    assert welcome.totp_secret is not None
    refused = await _with_password(town, limits, email, PASSWORD, pyotp.TOTP(welcome.totp_secret).now())
    assert removed == welcome.person_id
    assert isinstance(refused, Refused)
    assert [row["subject_id"] for row in await _audit(town, "staff.remove")] == [removed]
