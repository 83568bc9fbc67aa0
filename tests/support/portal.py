"""Portal people for page tests: invited and set up through the staff
services (as the invitation page would), and browsers of their own."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pyotp
from sqlalchemy import text

from coalition.platform.outbox.repository import mails_to
from coalition.platform.staff import service
from coalition.platform.staff.rules import Grant, StaffRole
from tests.support.town import Town

MAILING = service.Mailing("http://coalition.test", "portal@town.example")
ADMIN = [Grant(StaffRole.OPERATOR_ADMIN)]
PASSWORD = "correct horse battery"
_LINK = re.compile(r"https?://[^/\s]+(/portal/\S+)")


def browser(client: httpx.AsyncClient, *, https: bool = False) -> httpx.AsyncClient:
    """A browser of its own (cookies, and a client address of its own, so the
    per-address sign-in limit of one test does not reach another)."""
    address = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    transport = httpx.ASGITransport(app=client._transport.app, client=(address, 40000))  # type: ignore[attr-defined]
    return httpx.AsyncClient(transport=transport, base_url="https://coalition.test" if https else str(client.base_url))


async def slug_of(town: Town) -> str:
    async with town.engine.connect() as connection:
        found = await connection.execute(text("SELECT slug FROM coalitions WHERE id = :i"), {"i": town.coalition_id})
        return str(found.scalar_one())


def new_email(label: str = "staff") -> str:
    return f"{label}-{uuid.uuid4().hex[:8]}@shop.example"


@dataclass(frozen=True)
class Person:
    id: uuid.UUID
    email: str
    password: str
    totp_secret: str | None
    recovery_codes: list[str]

    def code(self) -> str:
        assert self.totp_secret is not None
        return pyotp.TOTP(self.totp_secret).now()


async def invite(town: Town, grant: Grant, email: str | None = None) -> tuple[str, str]:
    """``(email, invitation token)`` for a new person holding ``grant``, appointed by whoever may."""
    granter = [*ADMIN, Grant(StaffRole.OWNER, grant.partner_id)] if grant.partner_id else ADMIN
    address = email or new_email(grant.role.value.lower())
    async with town.sessions.begin() as session:
        invitation = await service.invite(
            session, town.operator, granter, email=address, name="Ann Example", language="en", grant=grant,
            mailing=MAILING, now=datetime.now(UTC),
        )  # fmt: skip
    return address, invitation.sign_in_url.rsplit("/", 1)[1]


async def set_up(town: Town, grant: Grant, *, extra: list[Grant] = ()) -> Person:  # type: ignore[assignment]
    """A person holding ``grant`` (and ``extra``), invited and with their password (and TOTP) chosen."""
    email, token = await invite(town, grant)
    for more in extra:
        await invite(town, more, email)
    async with town.sessions.begin() as session:
        welcome = await service.accept_invitation(
            session, coalition_id=town.coalition_id, token=token, password=PASSWORD, now=datetime.now(UTC)
        )
    return Person(welcome.person_id, email, PASSWORD, welcome.totp_secret, welcome.recovery_codes)


async def mailed_links(town: Town, email: str) -> list[str]:
    """The portal paths mailed to ``email``, oldest first."""
    async with town.engine.connect() as connection:
        mails = await mails_to(connection, town.coalition_id, email)
    return [found for mail in mails for found in _LINK.findall(mail.body)]


async def audit_actions(town: Town, subject_id: uuid.UUID | None = None) -> list[str]:
    async with town.engine.connect() as connection:
        rows = await connection.execute(
            text(
                "SELECT action FROM audit_log WHERE coalition_id = :c AND (CAST(:s AS uuid) IS NULL OR subject_id = CAST(:s AS uuid)) ORDER BY at"
            ),
            {"c": town.coalition_id, "s": subject_id},
        )
        return [str(row.action) for row in rows]
