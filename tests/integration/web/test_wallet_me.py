"""The wallet's Me page in process: the member's details in their language,
refusals next to the field with nothing changed, a form without its token
refused, the download of their data, and deleting the account: told first,
confirmed, then signed out, with the ledger still sound."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from coalition.partners.earning.till import TillSetups
from coalition.platform.ledger.service import LedgerService
from coalition.platform.members import privacy, sessions
from coalition.platform.runtime.settings import Settings
from tests.support.personal_data import Person, add_person, members_rows, now
from tests.support.town import Town
from tests.support.web_sessions import form_token, sign_in_member


@pytest.fixture(scope="module")
async def redis(settings: Settings) -> AsyncIterator[Redis]:
    client = Redis.from_url(settings.redis_url or "")
    yield client
    await client.aclose()


@pytest.fixture(scope="module")
async def scene(engine: AsyncEngine, ledger: LedgerService, till_setups: TillSetups) -> dict[str, Any]:
    town = await Town(engine, ledger, till_setups).create()
    shop, _ = await town.partner("Bakery", "1")
    anna = await add_person(town, shop, "anna", phone=f"+3161{uuid.uuid4().int % 10**7:07d}")
    bob = await add_person(town, shop, "bob", phone=f"+3162{uuid.uuid4().int % 10**7:07d}")
    return {"town": town, "anna": anna, "bob": bob}


async def _browser(client: httpx.AsyncClient, redis: Redis, town: Town, person: Person) -> httpx.AsyncClient:
    browser = httpx.AsyncClient(transport=client._transport, base_url=str(client.base_url))
    await sign_in_member(browser, redis, member_id=person.member_id, coalition_id=town.coalition_id)
    return browser


def _form(page: httpx.Response, **fields: str) -> dict[str, str]:
    return {"_csrf_token": form_token(page), **fields}


async def _profile(town: Town, person: Person) -> privacy.Profile:
    async with town.engine.connect() as connection:
        return await privacy.profile(connection, town.operator, person.member_id)


async def test_the_page_needs_a_signed_in_member(client: httpx.AsyncClient) -> None:
    page = await httpx.AsyncClient(transport=client._transport, base_url=str(client.base_url)).get("/wallet/me")
    assert page.status_code == 303
    assert page.headers["location"].startswith("/wallet/sign-in?next=")


async def test_the_member_sees_their_details_in_their_own_language(
    client: httpx.AsyncClient, redis: Redis, scene: dict[str, Any]
) -> None:
    town, anna = scene["town"], scene["anna"]
    async with await _browser(client, redis, town, anna) as browser:
        page = await browser.get("/wallet/me", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert page.headers["content-language"] == "nl"  # her setting beats the browser's
    assert "<h2>Mijn gegevens</h2>" in page.text
    assert '<a href="/wallet/passkeys">Mijn passkeys</a>' in page.text  # where she adds or removes a passkey
    for shown in (anna.email, anna.phone, "1990-05-17", anna.card):
        assert shown in page.text
    assert '<option value="nl" selected>' in page.text
    assert 'name="marketing_consent" type="checkbox" value="yes" checked' in page.text
    assert scene["bob"].email not in page.text


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"email": ""}, "email", "Vul je e-mailadres in: daarmee log je in."),
        ({"email": "anna-at-nowhere"}, "email", "Vul een e-mailadres in, zoals naam@voorbeeld.nl."),
        ({"phone": "0612"}, "phone", "Vul het telefoonnummer internationaal in, zoals +31612345678."),
        ({"birth_date": "31-02-1990"}, "birth_date", "Vul je geboortedatum in, zoals 1990-05-17."),
        ({"birth_date": "2999-01-01"}, "birth_date", "Vul je geboortedatum in, zoals 1990-05-17."),
        ({"preferred_language": "de"}, "preferred_language", "Kies een van de talen uit de lijst."),
    ],
)
async def test_bad_input_is_refused_next_to_its_field_and_nothing_changes(
    client: httpx.AsyncClient, redis: Redis, scene: dict[str, Any], fields: dict[str, str], field: str, message: str
) -> None:
    town, anna = scene["town"], scene["anna"]
    before = await _profile(town, anna)
    async with await _browser(client, redis, town, anna) as browser:
        page = await browser.get("/wallet/me")
        good = {"email": anna.email, "phone": anna.phone, "birth_date": "1990-05-17", "preferred_language": "nl"}
        refused = await browser.post("/wallet/me", data=_form(page, **(good | fields)))
    assert refused.status_code == 400
    assert f'<p class="error" id="field-{field}-error">{message}</p>' in refused.text
    # The field itself says it is invalid and points at its message (a screen reader reads both).
    marked = rf'id="field-{field}"[^>]*aria-invalid="true" aria-describedby="[^"]*field-{field}-error"'
    assert re.search(marked, refused.text)
    assert await _profile(town, anna) == before


async def test_another_members_address_is_refused(
    client: httpx.AsyncClient, redis: Redis, scene: dict[str, Any]
) -> None:
    town, anna, bob = scene["town"], scene["anna"], scene["bob"]
    before = await _profile(town, anna)
    async with await _browser(client, redis, town, anna) as browser:
        page = await browser.get("/wallet/me")
        refused = await browser.post("/wallet/me", data=_form(page, email=bob.email.upper()))
    assert refused.status_code == 400
    assert "Een ander lid gebruikt dit e-mailadres al." in refused.text
    assert await _profile(town, anna) == before


async def test_a_form_without_its_token_is_refused(
    client: httpx.AsyncClient, redis: Redis, scene: dict[str, Any]
) -> None:
    town, anna = scene["town"], scene["anna"]
    before = await _profile(town, anna)
    async with await _browser(client, redis, town, anna) as browser:
        await browser.get("/wallet/me")
        refused = await browser.post("/wallet/me", data={"email": "changed@example.test", "phone": ""})
        no_delete = await browser.post("/wallet/me/delete", data={"confirm": "yes"})
        no_download = await browser.post("/wallet/me/data", data={})
    assert (refused.status_code, no_delete.status_code, no_download.status_code) == (403, 403, 403)
    assert await _profile(town, anna) == before


async def test_saved_details_and_choices_show_and_the_page_follows_the_language(
    client: httpx.AsyncClient, redis: Redis, scene: dict[str, Any]
) -> None:
    town, bob = scene["town"], scene["bob"]
    async with await _browser(client, redis, town, bob) as browser:
        page = await browser.get("/wallet/me")
        saved = await browser.post(
            "/wallet/me",
            data=_form(page, email=bob.email, phone="", birth_date="1985-01-31", preferred_language="fr"),
        )
        assert saved.status_code == 303
        assert saved.headers["location"] == "/wallet/me?saved=true"
        assert saved.cookies["coalition_language"] == "fr"
        shown = await browser.get(saved.headers["location"])
    assert shown.headers["content-language"] == "fr"
    assert "Vos coordonnées sont enregistrées." in shown.text
    profile = await _profile(town, bob)
    assert (profile.member.phone, str(profile.member.birth_date)) == (None, "1985-01-31")
    assert (profile.preferences.language, profile.preferences.marketing_consent) == ("fr", False)


async def test_download_my_data_is_everything_of_the_member_and_nothing_of_another(
    client: httpx.AsyncClient, redis: Redis, scene: dict[str, Any]
) -> None:
    town, anna, bob = scene["town"], scene["anna"], scene["bob"]
    async with await _browser(client, redis, town, anna) as browser:
        page = await browser.get("/wallet/me")
        download = await browser.post("/wallet/me/data", data=_form(page))
    assert download.status_code == 200
    assert download.headers["content-disposition"] == 'attachment; filename="my-data.json"'
    data = download.json()
    assert data["member"]["cardNumber"] == anna.card
    text = json.dumps(data)
    for held in (anna.email, anna.coupon_code, anna.receipt_ref, anna.sku):
        assert held in text
    for others in (bob.email, bob.card, bob.coupon_code, bob.sku):
        assert others not in text


async def test_deleting_the_account_is_confirmed_first_then_signs_out_and_keeps_the_ledger(
    client: httpx.AsyncClient, redis: Redis, scene: dict[str, Any]
) -> None:
    town: Town = scene["town"]
    anna: Person = scene["anna"]
    other_device = await sessions.open_session(redis, member_id=anna.member_id, coalition_id=town.coalition_id,
                                               now=now())  # fmt: skip
    held = await members_rows(town.engine, anna.member_id, anna.email)
    async with await _browser(client, redis, town, anna) as browser:
        told = await browser.get("/wallet/me/delete")
        assert told.status_code == 200
        balance = held["wallets"][0]["balance"]
        assert f"Je saldo: {balance} " in told.text
        assert "niemand kan ze nog besteden" in told.text
        unconfirmed = await browser.post("/wallet/me/delete", data=_form(told))
        assert unconfirmed.status_code == 400
        assert "clear-site-data" not in unconfirmed.headers
        assert 'id="field-confirm-error"' in unconfirmed.text
        assert (await _profile(town, anna)).member.status == "ACTIVE"

        deleted = await browser.post("/wallet/me/delete", data=_form(told, confirm="yes"))
        assert deleted.status_code == 303
        assert deleted.headers["location"] == "/wallet/me/deleted?lang=nl"
        assert sessions.COOKIE_NAME in deleted.headers["set-cookie"]
        assert deleted.headers["clear-site-data"] == '"cache", "storage"'  # the kept card page goes too
        goodbye = await browser.get(deleted.headers["location"])
        assert "Je account is verwijderd" in goodbye.text
        again = await browser.get("/wallet/me")
    assert again.status_code == 303  # signed out
    assert await sessions.load_session(redis, other_device, now()) is None  # everywhere
    after = await members_rows(town.engine, anna.member_id, anna.email)
    assert after["members"][0]["status"] == "ERASED"
    assert after["members"][0]["email"] is None
    assert after["ledger_transactions"] == held["ledger_transactions"]
    assert await town.ledger_violations() == []
