"""The shop's members and statements pages in process: finding a member by
card, e-mail or phone; the history a shop sees (its own only); a return
taken back once; each day's statement and its files; the payout IBAN with
its message next to the field; cashiers and other shops refused."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from coalition.partners.earning.till import TillSetups
from coalition.platform.ledger.service import LedgerService
from coalition.platform.runtime.settings import Settings
from coalition.platform.staff.rules import StaffRole
from coalition.settlement import service as settlement
from tests.support.graphql import GraphQL, key
from tests.support.shop_pages import post_form, staff_browser
from tests.support.town import Town
from tests.support.web_sessions import form_token

MEMBERS, STATEMENTS = "/portal/shop/members", "/portal/shop/statements"


@dataclass
class Shops:
    town: Town
    bakery: uuid.UUID
    books: uuid.UUID
    card: str
    member_id: str
    email: str
    phone: str
    earn_id: uuid.UUID
    day: date


@pytest.fixture(scope="module")
async def redis(settings: Settings) -> AsyncIterator[Redis]:
    client = Redis.from_url(str(settings.redis_url))
    yield client
    await client.aclose()


@pytest.fixture(scope="module")
async def shops(engine: AsyncEngine, ledger: LedgerService, till_setups: TillSetups, gql: GraphQL) -> Shops:
    town = await Town(engine, ledger, till_setups).create()
    bakery, bakery_manager = await town.partner("Bakery", "1")
    books, _ = await town.partner("Books", "1")
    email, phone = f"{uuid.uuid4().hex[:8]}@members.test", f"+3161{uuid.uuid4().int % 10**7:07d}"
    enrolled = await gql(
        bakery_manager,
        "mutation($i: EnrollMemberInput!) { enrollMember(input: $i) { member { id cardNumber } errors { code } } }",
        i={"idempotencyKey": key(), "email": email, "phone": phone},
    )
    member = enrolled["data"]["enrollMember"]["member"]
    earned = await town.earn(bakery, member["cardNumber"], "100")
    await town.redeem(books, member["cardNumber"], 40)
    async with town.engine.connect() as c:
        found = await c.execute(
            text("SELECT business_date FROM ledger_transactions WHERE id = :t"), {"t": earned.transaction_id}
        )
        day = found.scalar_one()
    async with town.sessions.begin() as session:
        # Settled as the day after: a day is approved once it has closed.
        await settlement.run_day(session, town.coalition_id, day, now=datetime.now(UTC) + timedelta(days=1))
        await settlement.approve(session, town.operator, day)
    return Shops(town, bakery, books, member["cardNumber"], member["id"], email, phone, earned.transaction_id, day)


@pytest.fixture(scope="module")
async def owner(shops: Shops, client: httpx.AsyncClient, redis: Redis) -> AsyncIterator[httpx.AsyncClient]:
    async with staff_browser(shops.town, client, redis, StaffRole.OWNER, shops.bakery) as browser:
        yield browser


def _error(page: httpx.Response, element_id: str) -> str:
    found = re.search(rf'<p class="error" id="{element_id}-error">([^<]*)</p>', page.text)
    assert found is not None, f"no message next to {element_id}"
    assert f'aria-describedby="{element_id}-error"' in page.text or f'{element_id}-error"' in page.text
    return found.group(1)


@pytest.mark.parametrize("page", [MEMBERS, STATEMENTS, f"{STATEMENTS}/2026-01-01/pdf"])
async def test_cashiers_and_the_signed_out_do_not_get_the_managers_pages(
    shops: Shops, client: httpx.AsyncClient, redis: Redis, page: str
) -> None:
    async with staff_browser(shops.town, client, redis, StaffRole.CASHIER, shops.bakery) as cashier:
        assert (await cashier.get(page)).status_code == 403
        cashier.cookies.set("coalition_staff_session", "expired")
        assert (await cashier.get(page)).status_code == 303


@pytest.mark.parametrize("role", [StaffRole.OWNER, StaffRole.MANAGER])
async def test_owners_and_managers_find_a_member_by_card_email_or_phone(
    shops: Shops, client: httpx.AsyncClient, redis: Redis, role: StaffRole
) -> None:
    async with staff_browser(shops.town, client, redis, role, shops.bakery) as browser:
        assert (await browser.get(MEMBERS)).status_code == 200
        assert (await browser.get(STATEMENTS)).status_code == 200
        for typed in (shops.card, shops.email.upper(), shops.phone):
            found = await browser.get(MEMBERS, params={"q": typed})
            assert (found.status_code, found.headers["location"]) == (303, f"{MEMBERS}/{shops.member_id}")
        unknown = await browser.get(MEMBERS, params={"q": "nobody@members.test"})
        assert unknown.status_code == 404
        assert _error(unknown, "find-q") == "No member of your shop was found."
        bad = await browser.get(MEMBERS, params={"q": "+12"})
        assert bad.status_code == 400
        assert _error(bad, "find-q").startswith("Type a card number, an e-mail address")


async def test_another_shop_finds_no_one_by_contact_and_sees_none_of_the_history(
    shops: Shops, client: httpx.AsyncClient, redis: Redis
) -> None:
    async with staff_browser(shops.town, client, redis, StaffRole.MANAGER, shops.books) as books:
        # Books served the member (a redemption): found; its own history only.
        page = await books.get(f"{MEMBERS}/{shops.member_id}")
        assert page.status_code == 200
        assert "40 points spent" in page.text
        assert "points earned" not in page.text  # the bakery's purchase is the bakery's
        assert str(shops.earn_id) not in page.text
        taken = await books.post(
            f"{MEMBERS}/{shops.member_id}/return",
            data={"_csrf_token": form_token(page), "idempotencyKey": key(), "transactionId": str(shops.earn_id)},
        )
        assert taken.status_code == 400
        assert 'role="alert">This purchase is not one of your shop' in taken.text
    async with shops.town.engine.connect() as c:
        reversed_ = await c.execute(text("SELECT count(*) FROM ledger_transactions WHERE reverses_id = :t"),
                                    {"t": shops.earn_id})  # fmt: skip
        assert reversed_.scalar_one() == 0
    stranger_town = await Town(shops.town.engine, shops.town.ledger, shops.town.setups).create()
    elsewhere, _ = await stranger_town.partner("Elsewhere", "1")
    async with staff_browser(stranger_town, client, redis, StaffRole.OWNER, elsewhere) as other_town:
        assert (await other_town.get(f"{MEMBERS}/{shops.member_id}")).status_code == 404
        assert (await other_town.get(MEMBERS, params={"q": shops.card})).status_code == 404


async def test_a_return_takes_the_points_back_once(shops: Shops, owner: httpx.AsyncClient) -> None:
    page = await owner.get(f"{MEMBERS}/{shops.member_id}")
    assert "purchase of €100.00, 100 points earned" in page.text
    action = f"{MEMBERS}/{shops.member_id}/return"
    forged = await owner.post(action, data={"transactionId": str(shops.earn_id), "idempotencyKey": key()})
    assert forged.status_code == 403
    row = f"return-{shops.earn_id}-points"
    bad = await post_form(owner, page, action, {"transactionId": str(shops.earn_id), "points": "ten"}, keyed=False)
    assert bad.status_code == 400
    assert _error(bad, row) == "Enter a whole number of points, more than zero."
    keyed = re.search(rf'name="idempotencyKey" value="([^"]+)">\s*<input type="hidden" name="transactionId" '
                      rf'value="{shops.earn_id}"', page.text)  # fmt: skip
    assert keyed is not None
    fields = {"transactionId": str(shops.earn_id), "points": "10", "idempotencyKey": keyed.group(1)}
    returned = await post_form(owner, page, action, fields)
    assert returned.status_code == 200
    assert "Returned: 10 points taken back." in returned.text
    again = await post_form(owner, page, action, fields)  # the same form, sent twice
    assert "Returned: 10 points taken back." in again.text
    rest = await post_form(owner, returned, action, {"transactionId": str(shops.earn_id), "points": "",
                                                     "idempotencyKey": key()})  # fmt: skip
    assert "Returned: 50 points taken back." in rest.text  # what is left of it: 40 were spent at the bookshop
    nothing_left = await post_form(owner, rest, action, {"transactionId": str(shops.earn_id), "points": "",
                                                         "idempotencyKey": key()})  # fmt: skip
    assert nothing_left.status_code == 400
    assert _error(nothing_left, row) == "The member no longer holds these points: they have been spent."
    assert await shops.town.ledger_violations() == []


async def test_unknown_members_are_not_found(owner: httpx.AsyncClient) -> None:
    assert (await owner.get(f"{MEMBERS}/not-an-id")).status_code == 404
    assert (await owner.get(f"{MEMBERS}/{uuid.uuid4()}")).status_code == 404


async def test_the_statements_page_shows_each_day_and_what_is_due(shops: Shops, owner: httpx.AsyncClient) -> None:
    page = await owner.get(STATEMENTS)
    assert page.status_code == 200
    assert "Approved, to be paid" in page.text
    assert f'href="{STATEMENTS}/{shops.day.isoformat()}/pdf"' in page.text
    assert f'href="{STATEMENTS}/{shops.day.isoformat()}/csv"' in page.text
    assert "Points issued" in page.text
    dutch = await owner.get(STATEMENTS, headers={"Accept-Language": "nl"})
    assert "Goedgekeurd, nog te betalen" in dutch.text


async def test_an_owner_downloads_the_days_statement_as_pdf_and_csv(
    shops: Shops, owner: httpx.AsyncClient, client: httpx.AsyncClient, redis: Redis
) -> None:
    pdf = await owner.get(f"{STATEMENTS}/{shops.day.isoformat()}/pdf", follow_redirects=True)
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    csv = await owner.get(f"{STATEMENTS}/{shops.day.isoformat()}/csv", follow_redirects=True)
    assert csv.status_code == 200
    assert "partner,Bakery" in csv.text
    assert (await owner.get(f"{STATEMENTS}/{(shops.day - timedelta(days=400)).isoformat()}/pdf")).status_code == 404
    assert (await owner.get(f"{STATEMENTS}/yesterday/pdf")).status_code == 404
    assert (await owner.get(f"{STATEMENTS}/{shops.day.isoformat()}/xlsx")).status_code == 404
    async with staff_browser(shops.town, client, redis, StaffRole.OWNER, shops.books) as books:
        theirs = await books.get(f"{STATEMENTS}/{shops.day.isoformat()}/csv", follow_redirects=True)
        assert "partner,Books" in theirs.text


async def test_the_payout_iban_is_set_and_a_bad_one_is_refused_next_to_the_field(
    shops: Shops, owner: httpx.AsyncClient
) -> None:
    page = await owner.get(STATEMENTS)
    bad = await post_form(owner, page, f"{STATEMENTS}/iban", {"iban": "NL00BANK0123456789"}, keyed=False)
    assert bad.status_code == 400
    assert _error(bad, "payout-iban") == "This is not a valid IBAN: check the country code and every digit."
    empty = await post_form(owner, page, f"{STATEMENTS}/iban", {"iban": " "}, keyed=False)
    assert _error(empty, "payout-iban") == "Type the IBAN the coalition pays your shop into."
    saved = await post_form(owner, page, f"{STATEMENTS}/iban", {"iban": "nl91 abna 0417 1643 00"}, keyed=False)
    assert saved.status_code == 200
    assert "The account is saved." in saved.text
    assert 'value="NL91ABNA0417164300"' in (await owner.get(STATEMENTS)).text
    assert (await owner.post(f"{STATEMENTS}/iban", data={"iban": "NL39RABO0300065264"})).status_code == 403
    assert 'value="NL91ABNA0417164300"' in (await owner.get(STATEMENTS)).text
