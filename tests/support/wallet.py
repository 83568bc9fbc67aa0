"""The wallet's ways in, for tests: a browser of the app at its own client
address, the coalition's slug, members with an address, and the codes and
links read back from the outbox."""

from __future__ import annotations

import itertools
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from coalition.platform.coalitions.repository import coalition_by_id
from coalition.platform.members import service as members
from coalition.platform.outbox import repository as outbox
from tests.support.town import Town
from tests.support.web_sessions import form_token

_addresses = itertools.count(1)
CODE = re.compile(r"\b(\d{6})\b")
LINK = re.compile(r"https?://\S+/wallet/sign-in/link/\S+")


@asynccontextmanager
async def browser(client: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    """A new browser (its own cookies) of the app behind ``client``, from a
    client address of its own, so per-address limits do not add up across tests."""
    number = next(_addresses) + uuid.uuid4().int % 60000
    address = f"10.{number // 65536 % 256}.{number // 256 % 256}.{number % 256}"
    transport = httpx.ASGITransport(app=client._transport.app, client=(address, 4321))  # type: ignore[attr-defined]
    async with httpx.AsyncClient(transport=transport, base_url="http://coalition.test") as fresh:
        yield fresh


async def slug_of(town: Town) -> str:
    async with town.engine.connect() as connection:
        found = await coalition_by_id(connection, town.coalition_id)
    assert found is not None
    return found.slug


async def member_with_email(town: Town, email: str | None = None) -> tuple[uuid.UUID, str]:
    address = email or f"{uuid.uuid4().hex[:10]}@member.test"
    async with town.sessions.begin() as session:
        record = await members.enrol(
            session, coalition_id=town.coalition_id, scope_id=town.coalition_id, partner_id=None,
            request=members.Enrolment(uuid.uuid4().hex, None, address, None, None),
        )  # fmt: skip
    return record.id, address


async def mails_to(engine: AsyncEngine, town: Town, email: str) -> list[outbox.MailRecord]:
    async with engine.connect() as connection:
        return await outbox.mails_to(connection, town.coalition_id, email)


async def last_code(town: Town, email: str) -> tuple[str, str]:
    """The code and the link of the latest mail to ``email``."""
    mails = await mails_to(town.engine, town, email)
    assert mails, f"no mail to {email}"
    body = mails[-1].body
    code, link = CODE.search(body), LINK.search(body)
    assert code is not None
    assert link is not None
    return code.group(1), link.group(0)


async def ask_code(web: httpx.AsyncClient, slug: str, email: str, next_path: str = "/wallet") -> httpx.Response:
    page = await web.get(f"/wallet/sign-in?coalition={slug}")
    return await web.post(
        "/wallet/sign-in",
        data={"_csrf_token": form_token(page), "email": email, "next": next_path, "coalition": slug},
    )


async def enter_code(
    web: httpx.AsyncClient, page: httpx.Response, slug: str, email: str, code: str, *, purpose: str = "sign-in",
    next_path: str = "/wallet",
) -> httpx.Response:  # fmt: skip
    return await web.post(
        "/wallet/sign-in/code",
        data={"_csrf_token": form_token(page), "purpose": purpose, "email": email, "code": code,
              "next": next_path, "coalition": slug},
    )  # fmt: skip
