"""The till page in process: who may open it, giving and spending points as
a cashier types them, a form sent twice posting once, coupons checked and
burnt, members enrolled at the counter; bad input answered next to its
field with nothing posted; forged and signed-out posts refused."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from coalition.partners.earning.till import TillSetups
from coalition.platform.auth.service import issue
from coalition.platform.auth.tokens import CredentialKind
from coalition.platform.ledger.service import LedgerService
from coalition.platform.runtime.settings import Settings
from coalition.platform.staff.rules import StaffRole
from tests.support.graphql import GraphQL, key
from tests.support.shop_pages import browser_like, post_form, staff_browser
from tests.support.town import Town

TILL = "/portal/shop/till"


@dataclass
class Shop:
    town: Town
    shop: uuid.UUID
    other: uuid.UUID
    manager_token: str
    card: str
    member_id: uuid.UUID


@pytest.fixture(scope="module")
async def redis(settings: Settings) -> AsyncIterator[Redis]:
    client = Redis.from_url(str(settings.redis_url))
    yield client
    await client.aclose()


@pytest.fixture(scope="module")
async def shop(engine: AsyncEngine, ledger: LedgerService, till_setups: TillSetups) -> Shop:
    town = await Town(engine, ledger, till_setups).create()
    shop, manager_token = await town.partner("Bakery", "1")
    other, _ = await town.partner("Books", "1")
    member_id, card = await town.member(shop)
    return Shop(town, shop, other, manager_token, card, member_id)


@pytest.fixture(scope="module")
async def cashier(shop: Shop, client: httpx.AsyncClient, redis: Redis) -> AsyncIterator[httpx.AsyncClient]:
    async with staff_browser(shop.town, client, redis, StaffRole.CASHIER, shop.shop) as browser:
        yield browser


async def _postings(shop: Shop, card: str) -> int:
    async with shop.town.engine.connect() as c:
        found = await c.execute(
            text("SELECT count(*) FROM ledger_transactions t JOIN members m ON m.id = t.member_id WHERE m.card_number = :c"
                 " AND m.coalition_id = :k"),
            {"c": card, "k": shop.town.coalition_id},
        )  # fmt: skip
        return int(found.scalar_one())


def _error(page: httpx.Response, form: str, field: str) -> str:
    found = re.search(rf'<p class="error" id="{form}-{field}-error">([^<]*)</p>', page.text)
    assert found is not None, f"no message next to {form}-{field}"
    assert f'id="{form}-{field}"' in page.text
    assert f'aria-describedby="{form}-{field}-error"' in page.text
    return found.group(1)


@pytest.mark.parametrize("role", [StaffRole.OWNER, StaffRole.MANAGER, StaffRole.CASHIER])
async def test_the_shops_staff_open_the_till(
    shop: Shop, client: httpx.AsyncClient, redis: Redis, role: StaffRole
) -> None:
    async with staff_browser(shop.town, client, redis, role, shop.shop) as browser:
        page = await browser.get(TILL)
    assert page.status_code == 200
    assert "<h1>Till: Bakery</h1>" in page.text
    for action in ("/portal/shop/till/earn", "/portal/shop/till/redeem", "/portal/shop/till/enrol"):
        assert f'<form method="post" action="{action}"' in page.text
    assert 'src="/static/vendor/jsQR-1.4.0.js"' in page.text
    assert "<script>" not in page.text  # the page's policy refuses inline scripts


async def test_the_operator_and_strangers_do_not_get_the_till(
    shop: Shop, client: httpx.AsyncClient, redis: Redis
) -> None:
    async with staff_browser(shop.town, client, redis, StaffRole.OPERATOR_ADMIN, None) as operator:
        assert (await operator.get(TILL)).status_code == 403
    async with browser_like(client) as stranger:
        signed_out = await stranger.get(TILL)
        assert signed_out.status_code == 303
        assert signed_out.headers["location"] == "/portal/sign-in?next=%2Fportal%2Fshop%2Ftill"
        stranger.cookies.set("coalition_staff_session", "expired-or-never-was")
        assert (await stranger.get(TILL)).status_code == 303


async def test_a_cashier_gives_points_and_a_form_sent_again_posts_once(shop: Shop, cashier: httpx.AsyncClient) -> None:
    before = await _postings(shop, shop.card)
    page = await cashier.get(TILL)
    key_drawn = re.findall(r'name="idempotencyKey" value="([^"]+)"', page.text)
    assert len(set(key_drawn)) == 3  # one per posting form
    given = await post_form(cashier, page, f"{TILL}/earn", {"cardNumber": shop.card, "amount": "12,00"})
    assert given.status_code == 200
    assert f"12 points given to card {shop.card}" in given.text
    assert "Base rate 1 per 1 EUR on 12.00 EUR: 12 points" in given.text  # the receipt's explanation
    assert "Purchase of €12.00." in given.text
    # The network failed before the answer came: the cashier sends the same form again.
    again = await post_form(cashier, page, f"{TILL}/earn", {"cardNumber": shop.card, "amount": "12,00"})
    assert f"12 points given to card {shop.card}" in again.text
    assert await _postings(shop, shop.card) == before + 1
    # The answer is a fresh form: its key is new.
    assert not set(re.findall(r'name="idempotencyKey" value="([^"]+)"', given.text)) & set(key_drawn)


async def test_the_till_splits_a_purchase_by_category(shop: Shop, cashier: httpx.AsyncClient) -> None:
    page = await cashier.get(TILL)
    given = await post_form(
        cashier, page, f"{TILL}/earn",
        {"cardNumber": shop.card, "amount": "10", "category0": "bread", "lineAmount0": "4"},
    )  # fmt: skip
    assert given.status_code == 200
    assert "10 points given" in given.text
    too_much = await post_form(
        cashier, page, f"{TILL}/earn",
        {"cardNumber": shop.card, "amount": "10", "category0": "bread", "lineAmount0": "40"},
    )  # fmt: skip
    assert too_much.status_code == 400
    assert "The lines add up to more than the amount." in too_much.text


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"cardNumber": "", "amount": "5"}, "cardNumber", "Scan the card or type its number."),
        ({"cardNumber": "no such card!", "amount": "5"}, "cardNumber", "A card number has 4 to 32 letters"),
        ({"cardNumber": "80000000000", "amount": "5"}, "cardNumber", "No member has this card number."),
        ({"cardNumber": "CARD", "amount": "abc"}, "amount", "Enter the amount paid, for example 12.50."),
        ({"cardNumber": "CARD", "amount": "-3"}, "amount", "The amount must be more than zero"),
        ({"cardNumber": "CARD", "amount": "1.234"}, "amount", "Use at most two decimals."),
        ({"cardNumber": "CARD", "amount": "5", "lineAmount0": "2"}, "category0", "Name the category of this line."),
    ],
)
async def test_bad_input_is_answered_next_to_its_field_and_posts_nothing(
    shop: Shop, cashier: httpx.AsyncClient, fields: dict[str, str], field: str, message: str
) -> None:
    fields = {name: shop.card if value == "CARD" else value for name, value in fields.items()}
    before = await _postings(shop, shop.card)
    page = await cashier.get(TILL)
    refused = await post_form(cashier, page, f"{TILL}/earn", fields)
    assert refused.status_code == 400
    assert message in _error(refused, "earn", field)
    assert await _postings(shop, shop.card) == before
    # The refused form keeps what was typed and its key (nothing was posted with it).
    assert 'value="' + fields["amount"] + '"' in refused.text
    assert 'name="idempotencyKey" value="' + re.findall(r'name="idempotencyKey" value="([^"]+)"', page.text)[0] in (
        refused.text
    )


async def test_spending_points_and_spending_too_many(shop: Shop, cashier: httpx.AsyncClient) -> None:
    page = await cashier.get(TILL, params={"card": shop.card})
    available = re.search(r"of which ([\d,]+) can be spent now", page.text)
    assert available is not None
    too_many = await post_form(cashier, page, f"{TILL}/redeem", {"cardNumber": shop.card, "points": "999999"})
    assert too_many.status_code == 400
    assert _error(too_many, "redeem", "points") == "The member does not have that many points to spend yet."
    spent = await post_form(cashier, page, f"{TILL}/redeem", {"cardNumber": shop.card, "points": "5"})
    assert spent.status_code == 200
    assert f"5 points spent from card {shop.card}" in spent.text
    zero = await post_form(cashier, page, f"{TILL}/redeem", {"cardNumber": shop.card, "points": "0"})
    assert _error(zero, "redeem", "points") == "Enter a whole number of points, more than zero."


async def test_a_card_looked_up_shows_its_balance_and_fills_the_forms(shop: Shop, cashier: httpx.AsyncClient) -> None:
    page = await cashier.get(TILL, params={"card": shop.card})
    assert f"Card {shop.card}: " in page.text
    assert page.text.count(f'value="{shop.card}"') >= 3  # the lookup, give and spend forms
    unknown = await cashier.get(TILL, params={"card": "8999999999999"})
    assert unknown.status_code == 404
    assert _error(unknown, "lookup", "card") == "No member has this card number."


async def test_a_form_without_its_token_is_refused_and_posts_nothing(shop: Shop, cashier: httpx.AsyncClient) -> None:
    before = await _postings(shop, shop.card)
    page = await cashier.get(TILL)
    key_drawn = re.findall(r'name="idempotencyKey" value="([^"]+)"', page.text)[0]
    forged = await cashier.post(
        f"{TILL}/earn", data={"idempotencyKey": key_drawn, "cardNumber": shop.card, "amount": "50"}
    )
    assert forged.status_code == 403
    assert await _postings(shop, shop.card) == before


async def test_a_signed_out_cashier_posts_nothing(shop: Shop, client: httpx.AsyncClient, redis: Redis) -> None:
    before = await _postings(shop, shop.card)
    async with staff_browser(shop.town, client, redis, StaffRole.CASHIER, shop.shop) as browser:
        page = await browser.get(TILL)
        browser.cookies.set("coalition_staff_session", "expired")
        late = await post_form(browser, page, f"{TILL}/earn", {"cardNumber": shop.card, "amount": "50"})
    assert late.status_code == 303
    assert await _postings(shop, shop.card) == before


async def test_coupons_are_checked_and_burnt_once_at_their_own_shop(
    shop: Shop, cashier: httpx.AsyncClient, client: httpx.AsyncClient, gql: GraphQL, redis: Redis
) -> None:
    reward = await gql(
        shop.manager_token,
        "mutation($i: RewardInput!) { createReward(input: $i) { reward { id } errors { code } } }",
        i={"name": "Free croissant", "kind": "FREE_PRODUCT", "pointsCost": 5, "validDays": 30, "active": True},
    )
    await shop.town.earn(shop.shop, shop.card, "10")
    async with shop.town.sessions.begin() as session:
        _, token = await issue(session, coalition_id=shop.town.coalition_id, kind=CredentialKind.MEMBER,
                               member_id=shop.member_id)  # fmt: skip
    bought = await gql(
        token,
        "mutation($i: BuyRewardInput!) { buyReward(input: $i) { coupon { code } errors { code message } } }",
        i={"idempotencyKey": key(), "rewardId": reward["data"]["createReward"]["reward"]["id"]},
    )
    assert bought["data"]["buyReward"]["coupon"], bought
    code = bought["data"]["buyReward"]["coupon"]["code"]
    async with staff_browser(shop.town, client, redis, StaffRole.CASHIER, shop.other) as elsewhere:
        there = await elsewhere.get(TILL, params={"coupon": code})
        assert _error(there, "coupon", "code") == "No coupon for your shop has this code."
    checked = await cashier.get(TILL, params={"coupon": code})
    assert f"Coupon {code}: Free croissant." in checked.text
    used = await post_form(cashier, checked, f"{TILL}/coupon", {"code": code}, keyed=False)
    assert used.status_code == 200
    assert f"Coupon {code} used" in used.text
    assert "Give the member: Free croissant." in used.text
    twice = await post_form(cashier, checked, f"{TILL}/coupon", {"code": code}, keyed=False)
    assert twice.status_code == 400
    assert _error(twice, "coupon", "code") == "This coupon has been used already or has expired."
    assert "Already used on" in (await cashier.get(TILL, params={"coupon": code})).text


async def test_a_new_member_is_enrolled_at_the_counter_once(shop: Shop, cashier: httpx.AsyncClient) -> None:
    page = await cashier.get(TILL)
    email = f"{uuid.uuid4().hex[:8]}@members.test"
    enrolled = await post_form(cashier, page, f"{TILL}/enrol", {"email": email, "phone": "", "cardNumber": ""})
    assert enrolled.status_code == 200
    card = re.search(r"New member enrolled with card (\w+)", enrolled.text)
    assert card is not None
    again = await post_form(cashier, page, f"{TILL}/enrol", {"email": email, "phone": "", "cardNumber": ""})
    assert f"New member enrolled with card {card.group(1)}" in again.text  # the same member, not a second
    taken = await post_form(cashier, enrolled, f"{TILL}/enrol", {"email": email, "phone": "", "cardNumber": ""})
    assert taken.status_code == 400
    assert "Someone with this e-mail address or phone number is a member already." in taken.text
    bad = await post_form(cashier, enrolled, f"{TILL}/enrol", {"email": "", "phone": "0612", "cardNumber": ""})
    assert _error(bad, "enrol", "phone").startswith("Write the phone number with its country code")


async def test_the_till_speaks_the_cashiers_language(shop: Shop, client: httpx.AsyncClient, redis: Redis) -> None:
    async with staff_browser(shop.town, client, redis, StaffRole.CASHIER, shop.shop) as browser:
        browser.cookies.set("coalition_language", "nl")
        page = await browser.get(TILL)
        assert page.headers["content-language"] == "nl"
        assert "<h1>Kassa: Bakery</h1>" in page.text
        refused = await post_form(browser, page, f"{TILL}/earn", {"cardNumber": "", "amount": "5"})
    assert _error(refused, "earn", "cardNumber") == "Scan de kaart of typ het nummer."


async def test_a_suspended_shops_till_says_so_and_posts_nothing(
    shop: Shop, client: httpx.AsyncClient, redis: Redis
) -> None:
    closed, _ = await shop.town.partner("Closed", "1", active=False)
    async with staff_browser(shop.town, client, redis, StaffRole.CASHIER, closed) as browser:
        page = await browser.get(TILL)
        refused = await post_form(browser, page, f"{TILL}/earn", {"cardNumber": shop.card, "amount": "5"})
    assert refused.status_code == 400
    assert 'role="alert">Your shop is not active in the coalition now, so the till cannot post.' in refused.text
