"""Signing in end to end: the code goes through the outbox, the worker's
job sends it to a real SMTP server, and the code read from the received
mail signs the member in. The mail is in the reader's language."""

from __future__ import annotations

from datetime import UTC, datetime

from coalition.worker import send_mail
from tests.support.smtp import smtp_server
from tests.support.town import Town
from tests.support.wallet import CODE, ask_code, browser, enter_code, member_with_email, slug_of


async def test_the_code_arrives_by_smtp_and_signs_in(town: Town, client, settings) -> None:
    _, email = await member_with_email(town)
    slug = await slug_of(town)
    with smtp_server() as (url, mailbox):
        ctx = {"settings": settings.model_copy(update={"smtp_url": url}), "engine": town.engine,
               "clock": lambda: datetime.now(UTC)}  # fmt: skip
        async with browser(client) as web:
            web.cookies.set("coalition_language", "nl")
            asked = await ask_code(web, slug, email)
            assert (await send_mail(ctx))["sent"] >= 1
            [received] = mailbox.to(email)
            body = received.get_payload()
            assert "Je code is" in body
            found = CODE.search(body)
            assert found is not None
            assert found.group(1) in received["Subject"]
            entered = await enter_code(web, asked, slug, email, found.group(1))
            assert entered.status_code == 303
            assert (await web.get("/wallet/passkeys")).status_code == 200
