"""End to end through a real SMTP server (aiosmtpd) and the worker's mail
job: the operator's admin invites a shop owner on the staff page, the owner
follows the invitation mail, enrols an authenticator, then signs in with a
link from a second mail and the app's code."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.message import Message
from urllib.parse import parse_qs, urlparse

import httpx
import pyotp
from redis.asyncio import Redis

from coalition.platform.runtime.settings import Settings
from coalition.platform.staff import sessions
from coalition.platform.staff.rules import Grant, StaffRole
from coalition.worker import send_mail
from tests.support.portal import browser, new_email, slug_of
from tests.support.smtp import Mailbox, smtp_server
from tests.support.town import Town
from tests.support.web_sessions import add_staff_person, form_token, sign_in_staff

_PATH = re.compile(r"https?://[^/\s]+(/portal/\S+)")


async def _deliver(settings: Settings, town: Town, url: str, mailbox: Mailbox, to: str) -> str:
    """Run the worker's mail job once; the portal path in the newest mail to ``to``."""
    ctx = {"settings": settings.model_copy(update={"smtp_url": url}), "engine": town.engine,
           "clock": lambda: datetime.now(UTC)}  # fmt: skip
    await send_mail(ctx)
    received: list[Message] = mailbox.to(to)
    assert received, f"no mail to {to}"
    body = received[-1].get_payload(decode=True)
    assert isinstance(body, bytes)
    found = _PATH.search(body.decode())
    assert found is not None
    return found.group(1)


async def test_an_owner_is_invited_by_mail_enrols_and_signs_in_with_a_mailed_link(
    town: Town, client: httpx.AsyncClient, settings: Settings
) -> None:
    shop, _ = await town.partner("Bakery")
    admin = await add_staff_person(town.engine, coalition_id=town.coalition_id, role=StaffRole.OPERATOR_ADMIN)
    owner = new_email("owner")
    redis = Redis.from_url(settings.redis_url or "")
    with smtp_server() as (url, mailbox):
        async with browser(client) as operator:
            await sign_in_staff(operator, redis, person_id=admin, coalition_id=town.coalition_id,
                                role=StaffRole.OPERATOR_ADMIN)  # fmt: skip
            page = await operator.get("/portal/staff")
            invited = await operator.post(
                "/portal/staff/invite",
                data={"_csrf_token": form_token(page), "email": owner, "name": "Olga", "role": "OWNER",
                      "partnerId": str(shop), "language": "en"},
            )  # fmt: skip
            assert invited.status_code == 303
        invitation = await _deliver(settings, town, url, mailbox, owner)
        assert invitation.startswith("/portal/invitation/")
        async with browser(client) as web:
            page = await web.get(invitation)
            uri = re.search(r'<code class="uri">([^<]+)</code>', page.text)
            assert uri is not None
            secret = parse_qs(urlparse(uri.group(1).replace("&amp;", "&")).query)["secret"][0]
            accepted = await web.post(invitation, data={
                "_csrf_token": form_token(page), "name": "Olga", "language": "en", "password": "bread and butter!",
                "code": pyotp.TOTP(secret).now()})  # fmt: skip
            assert accepted.status_code == 200
            sign_in = await web.get("/portal/sign-in")
            await web.post("/portal/sign-in/link", data={
                "_csrf_token": form_token(sign_in), "coalition": await slug_of(town), "link_email": owner})  # fmt: skip
        link = await _deliver(settings, town, url, mailbox, owner)
        assert link.startswith("/portal/sign-in/link/")
        async with browser(client) as phone:
            opened = await phone.get(link)
            # A code used once is refused again (replay): the step after the
            # enrolment's own code uses the next one, or a recovery code.
            codes = re.findall(r"<li><code>([a-z0-9-]{14})</code></li>", accepted.text)
            signed = await phone.post(link, data={"_csrf_token": form_token(opened), "code": codes[0]})
            assert signed.status_code == 303
            assert signed.headers["location"] == "/portal/shop/dashboard"
            live = await sessions.load_session(redis, signed.cookies[sessions.COOKIE_NAME], datetime.now(UTC))
    await redis.aclose()
    assert live is not None
    assert live.grant == Grant(StaffRole.OWNER, shop)
