"""Moving a wallet to a new e-mail address from the Me page: a code mailed
to the new address (and a notice without it to the old one), the address
changed only by the right code, the member still signed in; refused
addresses and codes said next to their field with nothing changed."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from coalition.partners.earning.till import TillSetups
from coalition.platform.ledger.service import LedgerService
from coalition.platform.members import privacy
from coalition.platform.runtime.settings import Settings
from tests.support.personal_data import Person, add_person
from tests.support.town import Town
from tests.support.wallet import CODE, mails_to, slug_of
from tests.support.web_sessions import form_token, sign_in_member


@pytest.fixture(scope="module")
async def redis(settings: Settings) -> AsyncIterator[Redis]:
    client = Redis.from_url(settings.redis_url or "")
    yield client
    await client.aclose()


@pytest.fixture
async def scene(engine: AsyncEngine, ledger: LedgerService, till_setups: TillSetups) -> dict[str, Any]:
    town = await Town(engine, ledger, till_setups).create()
    shop, _ = await town.partner("Bakery", "1")
    anna = await add_person(town, shop, "cleo", phone=f"+3163{uuid.uuid4().int % 10**7:07d}")
    bob = await add_person(town, shop, "dan", phone=f"+3164{uuid.uuid4().int % 10**7:07d}")
    return {"town": town, "anna": anna, "bob": bob}


async def _browser(client: httpx.AsyncClient, redis: Redis, town: Town, person: Person) -> httpx.AsyncClient:
    browser = httpx.AsyncClient(transport=client._transport, base_url=str(client.base_url))
    await sign_in_member(browser, redis, member_id=person.member_id, coalition_id=town.coalition_id)
    return browser


async def _ask(browser: httpx.AsyncClient, person: Person, email: str, **more: str) -> httpx.Response:
    page = await browser.get("/wallet/me")
    fields = {"email": email, "phone": person.phone, "birth_date": "1990-05-17", "preferred_language": "nl"}
    return await browser.post("/wallet/me", data={"_csrf_token": form_token(page), **fields, **more})


async def _enter(browser: httpx.AsyncClient, asked: httpx.Response, code: str) -> httpx.Response:
    return await browser.post("/wallet/me/email", data={"_csrf_token": form_token(asked), "code": code})


async def _email(town: Town, person: Person) -> str | None:
    async with town.engine.connect() as connection:
        return (await privacy.profile(connection, town.operator, person.member_id)).member.email


async def _code(town: Town, email: str) -> str:
    mails = await mails_to(town.engine, town, email)
    assert len(mails) == 1, mails
    found = CODE.search(mails[0].body)
    assert found is not None
    return found.group(1)


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


async def test_the_right_code_moves_the_wallet_and_the_old_address_is_told(
    client: httpx.AsyncClient, redis: Redis, scene: dict[str, Any]
) -> None:
    town, anna = scene["town"], scene["anna"]
    new = f"cleo.new.{uuid.uuid4().hex[:6]}@example.org"
    async with await _browser(client, redis, town, anna) as browser:
        asked = await _ask(browser, anna, new, marketing_consent="yes")
        assert asked.status_code == 200
        assert "Bevestig je nieuwe e-mailadres" in asked.text
        assert new in asked.text
        assert await _email(town, anna) == anna.email  # nothing moves before the code
        code = await _code(town, new)
        mail = (await mails_to(town.engine, town, new))[0]
        assert "Bevestig je nieuwe e-mailadres" in mail.subject
        assert "/wallet/sign-in/link/" not in mail.body
        notice = [m for m in await mails_to(town.engine, town, anna.email) if "nieuw e-mailadres" in m.subject]
        assert len(notice) == 1
        assert "c***@example.org" in notice[0].body
        assert new not in notice[0].body
        assert code not in notice[0].body
        confirmed = await _enter(browser, asked, code)
        assert (confirmed.status_code, confirmed.headers["location"]) == (303, "/wallet/me?moved=true")
        shown = await browser.get(confirmed.headers["location"])  # still signed in
        assert shown.status_code == 200
        assert "Je e-mailadres is gewijzigd." in shown.text
        assert new in shown.text
        again = await _enter(browser, asked, code)  # a code works once
        assert again.status_code == 400
        assert "Deze code is verlopen of al gebruikt." in again.text
    assert await _email(town, anna) == new
    async with town.engine.connect() as connection:
        audited = (
            await connection.execute(
                text("SELECT action, after FROM audit_log WHERE subject_id = :m ORDER BY at, id"),
                {"m": anna.member_id},
            )
        ).all()
    assert [a for a, _ in audited][-2:] == ["member.email_change.requested", "member.profile"]
    assert audited[-1][1]["changed"] == ["email"]
    assert new not in str(audited)


async def test_a_wrong_or_exhausted_code_changes_nothing(
    client: httpx.AsyncClient, redis: Redis, scene: dict[str, Any]
) -> None:
    town, anna = scene["town"], scene["anna"]
    new = f"anna.typo.{uuid.uuid4().hex[:6]}@example.org"
    async with await _browser(client, redis, town, anna) as browser:
        asked = await _ask(browser, anna, new)
        code = await _code(town, new)
        wrong = await _enter(browser, asked, _wrong(code))
        assert wrong.status_code == 400
        assert "Dat is niet de code die we stuurden." in wrong.text
        for _ in range(4):
            last = await _enter(browser, asked, _wrong(code))
        assert last.status_code == 400
        late = await _enter(browser, asked, code)  # five wrong tries: the code is gone
        assert late.status_code == 400
        assert 'id="field-code-error"' in late.text
    assert await _email(town, anna) == anna.email


async def test_an_expired_code_changes_nothing(client: httpx.AsyncClient, redis: Redis, scene: dict[str, Any]) -> None:
    town, anna = scene["town"], scene["anna"]
    new = f"anna.late.{uuid.uuid4().hex[:6]}@example.org"
    async with await _browser(client, redis, town, anna) as browser:
        asked = await _ask(browser, anna, new)
        code = await _code(town, new)
        # Ten minutes pass: the pending code's key expires in Redis.
        await redis.delete(f"wallet:code:email:{town.coalition_id}:member:{anna.member_id}")
        late = await _enter(browser, asked, code)
    assert late.status_code == 400
    assert 'id="field-code-error"' in late.text
    assert await _email(town, anna) == anna.email


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("anna-at-nowhere", "Vul een e-mailadres in, zoals naam@voorbeeld.nl."),
        ("BOB", "Een ander lid gebruikt dit e-mailadres al."),
    ],
)
async def test_a_bad_or_taken_address_is_refused_and_nothing_is_mailed_or_changed(
    client: httpx.AsyncClient, redis: Redis, scene: dict[str, Any], email: str, message: str
) -> None:
    town, anna, bob = scene["town"], scene["anna"], scene["bob"]
    email = bob.email.upper() if email == "BOB" else email
    before = await _email(town, anna)
    async with await _browser(client, redis, town, anna) as browser:
        refused = await _ask(browser, anna, email, birth_date="1980-01-01")
    assert refused.status_code == 400
    assert f'<p class="error" id="field-email-error">{message}</p>' in refused.text
    async with town.engine.connect() as connection:
        profile = await privacy.profile(connection, town.operator, anna.member_id)
    assert (profile.member.email, str(profile.member.birth_date)) == (before, "1990-05-17")
    assert not [m for m in await mails_to(town.engine, town, anna.email) if "nieuw e-mailadres" in m.subject]
    assert not [m for m in await mails_to(town.engine, town, email) if "Bevestig" in m.subject]


async def test_the_address_taken_before_the_code_is_entered_is_refused(
    client: httpx.AsyncClient, redis: Redis, scene: dict[str, Any]
) -> None:
    town, anna, bob = scene["town"], scene["anna"], scene["bob"]
    new = f"wanted.{uuid.uuid4().hex[:6]}@example.org"
    async with await _browser(client, redis, town, anna) as browser:
        asked = await _ask(browser, anna, new)
        code = await _code(town, new)
        async with town.sessions.begin() as session:
            await privacy.update_profile(session, town.operator, bob.member_id, privacy.ProfileChanges(email=new))
        refused = await _enter(browser, asked, code)
    assert refused.status_code == 400
    assert "Een ander lid gebruikt dit e-mailadres al." in refused.text
    assert await _email(town, anna) == anna.email


async def test_the_sign_in_form_cannot_spend_a_code_for_a_new_address(
    client: httpx.AsyncClient, redis: Redis, scene: dict[str, Any]
) -> None:
    town, anna = scene["town"], scene["anna"]
    new = f"cleo.link.{uuid.uuid4().hex[:6]}@example.org"
    async with await _browser(client, redis, town, anna) as browser:
        asked = await _ask(browser, anna, new)
        code = await _code(town, new)
        async with httpx.AsyncClient(transport=client._transport, base_url=str(client.base_url)) as stranger:
            slug = await slug_of(town)
            page = await stranger.get(f"/wallet/sign-in?coalition={slug}")
            for email in (new, str(anna.member_id)):
                tried = await stranger.post(
                    "/wallet/sign-in/code",
                    data={"_csrf_token": form_token(page), "purpose": "email", "email": email, "code": code,
                          "coalition": slug},
                )  # fmt: skip
                assert tried.status_code == 400
                assert "Deze code is verlopen" in tried.text or "This code has expired" in tried.text
        confirmed = await _enter(browser, asked, code)  # still pending: the member's own page takes it
    assert confirmed.status_code == 303
    assert await _email(town, anna) == new
