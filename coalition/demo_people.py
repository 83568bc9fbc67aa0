"""The demo's people: the portal's staff (the operator, a shop owner, a
cashier) and a member with an e-mail address, each with a fresh one-time
sign-in link for the banner."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from coalition.platform.auth.service import Principal
from coalition.platform.runtime.database import AsyncSession
from coalition.platform.runtime.settings import Settings
from coalition.platform.staff.service import Mailing


@dataclass(frozen=True)
class DemoMember:
    email: str
    card_number: str
    sign_in_url: str


@dataclass(frozen=True)
class DemoPerson:
    label: str
    email: str
    sign_in_url: str
    totp_secret: str | None  # the demo's only: a real coalition never shows it again


# (label, e-mail, role, in the first shop): the operator, a shop owner, a cashier.
STAFF = [
    ("operator admin", "operator@demo.example", "OPERATOR_ADMIN", False),
    ("shop owner", "owner@demo.example", "OWNER", True),
    ("cashier", "cashier@demo.example", "CASHIER", True),
]
# The demo's people share one password, printed with their links.
STAFF_PASSWORD = "demo-password-1"  # noqa: S105


async def staff_with_links(
    sessions: async_sessionmaker[AsyncSession], coalition_id: uuid.UUID, mailing: Mailing
) -> list[DemoPerson]:
    """The portal's demo people (made on the first run, with the demo's
    password and, for those whose role needs one, an authenticator secret)
    and a fresh sign-in link for each, mailed through the outbox as any would be."""
    from coalition.platform.coalitions.tables import partners as partners_table
    from coalition.platform.staff import repository as staff_repository
    from coalition.platform.staff import service as staff
    from coalition.platform.staff.rules import Grant, StaffRole, checked_grant

    now = datetime.now(UTC)
    operator = Principal.local_operator(coalition_id, via="coalition demo")
    people = []
    async with sessions.begin() as session:
        shop = await session.scalar(
            select(partners_table.c.id)
            .where(partners_table.c.coalition_id == coalition_id)
            .order_by(partners_table.c.id)
        )
        for label, email, role, in_shop in STAFF:
            person = await staff_repository.active_person_by_email(session, coalition_id, email)
            if person is None:
                granter = [Grant(StaffRole.OPERATOR_ADMIN), Grant(StaffRole.OWNER, shop)]
                invitation = await staff.invite(
                    session, operator, granter, email=email, name=label.capitalize(), language="en",
                    grant=checked_grant(role, shop if in_shop else None), mailing=mailing, now=now,
                )  # fmt: skip
                await staff.accept_invitation(
                    session, coalition_id=coalition_id, token=invitation.sign_in_url.rsplit("/", 1)[1],
                    password=STAFF_PASSWORD, now=now,
                )  # fmt: skip
                person = await staff_repository.active_person_by_email(session, coalition_id, email)
                assert person is not None
            url = await staff.send_link(session, person, purpose=staff.SIGN_IN, mailing=mailing, now=now)
            people.append(DemoPerson(label, email, url, person.totp_secret))
    return people


WALLET_MEMBER_EMAIL = "member@demo.example"


async def wallet_member(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, coalition_id: uuid.UUID, coalition_name: str
) -> DemoMember:
    """The first member, given the demo's address on the first run, and a
    fresh wallet sign-in code mailed to it through the outbox as any member's
    would be; its link is what the demo prints."""
    from redis.asyncio import Redis

    from coalition.platform.members import codes
    from coalition.platform.members.tables import members as members_table
    from coalition.web.wallet.account.common import composer

    assert settings.redis_url is not None
    links: list[str] = []
    english = composer("en", codes.Purpose.SIGN_IN, coalition_name)

    def compose(code: str, link: str) -> codes.Letter:
        links.append(link)
        return english(code, link)

    redis = Redis.from_url(settings.redis_url)
    try:
        async with sessions.begin() as session:
            member = (
                await session.execute(
                    select(members_table.c.id, members_table.c.card_number, members_table.c.email)
                    .where(members_table.c.coalition_id == coalition_id)
                    .order_by(members_table.c.id)
                    .limit(1)
                )
            ).one()
            if member.email is None:
                await session.execute(
                    members_table.update().where(members_table.c.id == member.id).values(email=WALLET_MEMBER_EMAIL)
                )
            email = member.email or WALLET_MEMBER_EMAIL
            await codes.Codes(redis).ask(
                session, coalition_id=coalition_id, email=email, purpose=codes.Purpose.SIGN_IN, client=None,
                compose=compose, mailing=codes.Mailing(settings.public_url, settings.mail_from),
            )  # fmt: skip
    finally:
        await redis.aclose()
    return DemoMember(email, member.card_number, links[0] if links else f"{settings.public_url}/wallet/sign-in")
