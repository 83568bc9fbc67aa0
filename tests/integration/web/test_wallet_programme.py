"""The wallet's pages for a signed-in member, in process: the card, points,
progress, rewards and coupons, shops, giving and notices; each read with
the member's own rights, each form's refusals and bad input."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from coalition.partners.earning.till import TillSetups
from coalition.platform.ledger.service import LedgerService
from coalition.platform.notices import repository as notices
from tests.support.graphql import GraphQL
from tests.support.time_passing import make_lots_expire_in
from tests.support.town import Town
from tests.support.wallet_town import WalletTown, earn, member_browser, set_transfers, wallet_town
from tests.support.web_sessions import form_token

QR = re.compile(r"<svg[^>]*>")


@pytest.fixture(scope="module")
async def place(engine: AsyncEngine, ledger: LedgerService, till_setups: TillSetups, gql: GraphQL) -> WalletTown:
    return await wallet_town(await Town(engine, ledger, till_setups).create(), gql)


@pytest.fixture(scope="module")
def redis(client: httpx.AsyncClient) -> Redis:
    found: Redis = client._transport.app.state.services.redis  # type: ignore[attr-defined]
    return found


@pytest.fixture(scope="module")
async def alice(client: httpx.AsyncClient, redis: Redis, place: WalletTown) -> AsyncIterator[httpx.AsyncClient]:
    async with await member_browser(client, redis, place.member_a, place.town.coalition_id) as browser:
        yield browser


async def _spender(client: httpx.AsyncClient, redis: Redis, place: WalletTown, gql: GraphQL, amount: str = "100",
                   **signed: Any) -> tuple[httpx.AsyncClient, str]:  # fmt: skip
    """A fresh member with ``amount`` spent at the bakery (10 points a euro), signed in."""
    member, card = await place.town.member(place.bakery)
    await earn(gql, place.bakery_key, card, amount)
    return await member_browser(client, redis, member, place.town.coalition_id, **signed), card


async def _balance(gql: GraphQL, place: WalletTown, card: str) -> int:
    found = await gql(place.town.operator_token, "query($c: String!) { member(cardNumber: $c) { wallet { balance } } }",
                      c=card)  # fmt: skip
    return int(found["data"]["member"]["wallet"]["balance"])


# ---------- reading ----------


@pytest.mark.parametrize(("language", "written"), [("en", "1,220"), ("nl", "1.220"), ("fr", "1\u202f220"),
                                                    ("pl", "1\xa0220"), ("nb", "1\xa0220")])  # fmt: skip
async def test_the_card_shows_the_qr_code_the_number_and_the_balance_in_each_language(
    alice: httpx.AsyncClient, place: WalletTown, language: str, written: str
) -> None:
    page = await alice.get("/wallet", params={}, headers={"Accept-Language": language})
    assert page.status_code == 200
    assert page.headers["content-language"] == language
    assert QR.search(page.text)
    assert f'<p class="wallet-card__number">{place.card_a}</p>' in page.text
    assert written in page.text
    assert 'rel="manifest" href="/wallet/manifest.webmanifest"' in page.text


async def test_a_visitor_without_a_session_is_sent_to_sign_in(client: httpx.AsyncClient) -> None:
    async with httpx.AsyncClient(transport=client._transport, base_url=str(client.base_url)) as stranger:
        for path in ("/wallet", "/wallet/points", "/wallet/rewards", "/wallet/give"):
            answer = await stranger.get(path)
            assert answer.status_code == 303
            assert answer.headers["location"].startswith("/wallet/sign-in?next=%2Fwallet")


async def test_the_points_page_shows_history_with_explanations_and_shops(alice: httpx.AsyncClient) -> None:
    page = await alice.get("/wallet/points")
    assert page.status_code == 200
    text = page.text
    assert "Bakery" in text
    assert "Books" in text
    assert "Purchase of €120.00" in text
    assert "Bread card: +1 stamp" in text or "Bread card" in text
    assert "No points expire in the next 30 days." in text
    bad = await alice.get("/wallet/points", params={"after": "not-a-cursor"})
    assert bad.status_code == 400
    assert "Bakery" in bad.text


async def test_pending_points_show_the_day_they_become_spendable(
    engine: AsyncEngine, ledger: LedgerService, till_setups: TillSetups, gql: GraphQL, client: httpx.AsyncClient,
    redis: Redis,
) -> None:  # fmt: skip
    town = await Town(engine, ledger, till_setups).create(pending_days=14)
    shop, till_key = await town.partner("Deli", "1")
    member, card = await town.member(shop)
    await earn(gql, till_key, card, "30")
    async with await member_browser(client, redis, member, town.coalition_id) as browser:
        page = await browser.get("/wallet/points", headers={"Accept-Language": "nl"})
    assert page.status_code == 200
    pending = page.text.split('id="pending-heading"')[1].split("</section>")[0]
    assert re.search(r"30 op \d+ \w+ 20\d\d", pending), pending


async def test_progress_shows_tier_stamps_and_challenges(alice: httpx.AsyncClient) -> None:
    page = await alice.get("/wallet/progress")
    assert page.status_code == 200
    assert "Silver" in page.text
    assert "Members&#39; evenings" in page.text
    assert "On the way to Gold" in page.text
    assert "1 of 5 stamps" in page.text
    assert "2 of 3 different shops this month" in page.text


async def test_shops_lists_the_active_partners_with_their_offers(alice: httpx.AsyncClient) -> None:
    page = await alice.get("/wallet/shops")
    assert page.status_code == 200
    assert "Bakery" in page.text
    assert "Free coffee (A free product), 50 points" in page.text
    assert "Bread card" in page.text
    assert "Closed shop" not in page.text


async def test_a_member_reads_only_their_own_data(client: httpx.AsyncClient, redis: Redis, place: WalletTown) -> None:
    async with await member_browser(client, redis, place.member_b, place.town.coalition_id) as bob:
        page = await bob.get("/wallet")
        assert place.card_b in page.text
        assert place.card_a not in page.text
        history = await bob.get("/wallet/points")
        assert "Bakery" not in history.text


# ---------- rewards and coupons ----------


async def test_buying_a_reward_makes_a_coupon_with_a_qr_code_only_its_member_sees(
    client: httpx.AsyncClient, redis: Redis, place: WalletTown, gql: GraphQL
) -> None:
    buyer, card = await _spender(client, redis, place, gql)
    async with buyer:
        page = await buyer.get("/wallet/rewards")
        assert "Free coffee" in page.text
        token = form_token(page)
        form = {"_csrf_token": token, "reward": place.reward_id, "idempotency_key": "k" * 20}
        bought = await buyer.post("/wallet/rewards/buy", data=form)
        assert bought.status_code == 303
        coupon_path = bought.headers["location"]
        assert coupon_path.startswith("/wallet/rewards/coupons/CPN-")
        again = await buyer.post("/wallet/rewards/buy", data=form)  # the same form twice: one coupon
        assert again.headers["location"] == coupon_path
        assert await _balance(gql, place, card) == 1000 - 50
        coupon = await buyer.get(coupon_path)
        assert coupon.status_code == 200
        assert QR.search(coupon.text)
        assert coupon_path.rsplit("/", 1)[1] in coupon.text
        listed = await buyer.get("/wallet/rewards")
        assert coupon_path in listed.text
    async with await member_browser(client, redis, place.member_b, place.town.coalition_id) as bob:
        refused = await bob.get(coupon_path)
        assert refused.status_code == 404
        assert "You have no coupon with this code." in refused.text
        assert not QR.search(refused.text)


async def test_a_reward_beyond_the_balance_is_refused_next_to_it(
    alice: httpx.AsyncClient, place: WalletTown, gql: GraphQL
) -> None:
    page = await alice.get("/wallet/rewards")
    before = await _balance(gql, place, place.card_a)
    refused = await alice.post(
        "/wallet/rewards/buy", data={"_csrf_token": form_token(page), "reward": place.dear_reward_id}
    )
    assert refused.status_code == 400
    assert f'id="reward-{place.dear_reward_id}-error"' in refused.text
    assert "You do not have that many points to spend." in refused.text
    unknown = await alice.post("/wallet/rewards/buy", data={"_csrf_token": form_token(page), "reward": "nonsense"})
    assert unknown.status_code == 400
    assert await _balance(gql, place, place.card_a) == before


async def test_forms_without_their_token_are_refused(alice: httpx.AsyncClient, place: WalletTown, gql: GraphQL) -> None:
    before = await _balance(gql, place, place.card_a)
    for path, form in [
        ("/wallet/rewards/buy", {"reward": place.reward_id}),
        ("/wallet/give/donate", {"charity": place.charity_id, "donate_points": "5"}),
        ("/wallet/give/transfer", {"card": place.card_b, "transfer_points": "5"}),
    ]:
        assert (await alice.post(path, data=form)).status_code == 403
    assert await _balance(gql, place, place.card_a) == before


# ---------- giving ----------


async def test_a_gift_to_a_charity_and_a_transfer_to_another_member(
    client: httpx.AsyncClient, redis: Redis, place: WalletTown, gql: GraphQL
) -> None:
    giver, card = await _spender(client, redis, place, gql)
    async with giver:
        page = await giver.get("/wallet/give")
        assert "Food bank" in page.text
        assert "The coalition adds 50 per cent to every gift." in page.text
        assert "/wallet/join?ref=" in page.text
        token = form_token(page)
        given = await giver.post("/wallet/give/donate", data={
            "_csrf_token": token, "charity": place.charity_id, "donate_points": "100"})  # fmt: skip
        assert (given.status_code, given.headers["location"]) == (303, "/wallet/give?done=donated")
        sent = await giver.post("/wallet/give/transfer", data={
            "_csrf_token": token, "card": place.card_b, "transfer_points": "200"})  # fmt: skip
        assert (sent.status_code, sent.headers["location"]) == (303, "/wallet/give?done=transferred")
        thanks = await giver.get("/wallet/give?done=transferred")
        assert "Done: the points have been sent." in thanks.text
    assert await _balance(gql, place, card) == 1000 - 100 - 200


async def test_giving_refuses_bad_input_and_too_much_next_to_the_field(
    client: httpx.AsyncClient, redis: Redis, place: WalletTown, gql: GraphQL
) -> None:
    giver, card = await _spender(client, redis, place, gql)
    async with giver:
        token = form_token(await giver.get("/wallet/give"))
        cases = [
            ("/wallet/give/transfer", {"card": place.card_b, "transfer_points": "600"}, "transfer_points",
             "That is over the limit: at most 500 points."),
            ("/wallet/give/transfer", {"card": place.card_b, "transfer_points": "abc"}, "transfer_points",
             "Enter a whole number of points, more than zero."),
            ("/wallet/give/transfer", {"card": "x", "transfer_points": "5"}, "card",
             "Enter the other member&#39;s card number."),
            ("/wallet/give/transfer", {"card": "0000000000000", "transfer_points": "5"}, "card",
             "Not found: check what you typed."),
            ("/wallet/give/donate", {"charity": place.charity_id, "donate_points": "-3"}, "donate_points",
             "Enter a whole number of points, more than zero."),
            ("/wallet/give/donate", {"charity": place.charity_id, "donate_points": "5000"}, "donate_points",
             "You do not have that many points to spend."),
            ("/wallet/give/donate", {"charity": "", "donate_points": "5"}, "charity", "Choose a charity."),
        ]  # fmt: skip
        for path, form, field, message in cases:
            refused = await giver.post(path, data={"_csrf_token": token, **form})
            assert refused.status_code == 400, (form, refused.text[:300])
            assert f'<p class="error" id="field-{field}-error">{message}</p>' in refused.text, (form, message)
    assert await _balance(gql, place, card) == 1000


async def test_transfers_off_are_refused_by_the_field(
    client: httpx.AsyncClient, redis: Redis, place: WalletTown, gql: GraphQL
) -> None:
    giver, card = await _spender(client, redis, place, gql)
    try:
        async with giver:
            token = form_token(await giver.get("/wallet/give"))
            await set_transfers(gql, place.town, enabled=False)
            off = await giver.get("/wallet/give")
            assert "This coalition does not allow sending points to other members." in off.text
            refused = await giver.post("/wallet/give/transfer", data={
                "_csrf_token": token, "card": place.card_b, "transfer_points": "5"})  # fmt: skip
            assert refused.status_code == 400
            assert "The coalition does not allow this." in refused.text
    finally:
        await set_transfers(gql, place.town, enabled=True)
    assert await _balance(gql, place, card) == 1000


async def test_moving_points_away_asks_for_a_fresh_sign_in(
    client: httpx.AsyncClient, redis: Redis, place: WalletTown, gql: GraphQL
) -> None:
    giver, card = await _spender(client, redis, place, gql, signed_in_ago=timedelta(minutes=20))
    async with giver:
        token = form_token(await giver.get("/wallet/give"))
        for path, form in [("/wallet/give/transfer", {"card": place.card_b, "transfer_points": "5"}),
                           ("/wallet/give/donate", {"charity": place.charity_id, "donate_points": "5"})]:  # fmt: skip
            again = await giver.post(path, data={"_csrf_token": token, **form})
            assert again.status_code == 303
            assert again.headers["location"] == "/wallet/sign-in?fresh=1&next=%2Fwallet%2Fgive"
    assert await _balance(gql, place, card) == 1000


# ---------- notices, and the installed app ----------


async def test_notices_tell_of_a_shop_that_left_and_what_it_means(
    client: httpx.AsyncClient, redis: Redis, place: WalletTown, gql: GraphQL
) -> None:
    member, card = await place.town.member(place.books)
    await earn(gql, place.books_key, card, "10")
    async with await member_browser(client, redis, member, place.town.coalition_id) as browser:
        assert "No notices." in (await browser.get("/wallet/notices")).text
        shop, till_key = await place.town.partner("Florist", "1")
        await earn(gql, till_key, card, "40")
        leave = 'mutation($id: ID!) { terminatePartner(id: $id, reason: "closed") { errors { code } } }'
        assert (await gql(place.town.operator_token, leave, id=str(shop)))["data"]["terminatePartner"]["errors"] == []
        page = await browser.get("/wallet/notices", headers={"Accept-Language": "fr"})
    assert page.status_code == 200
    assert "Florist" in page.text
    assert "40" in page.text


async def test_the_manifest_and_the_service_worker_are_served_for_the_wallet(client: httpx.AsyncClient) -> None:
    manifest = await client.get("/wallet/manifest.webmanifest", headers={"Accept-Language": "nl"})
    assert manifest.status_code == 200
    assert manifest.headers["content-type"].startswith("application/manifest+json")
    body = manifest.json()
    assert (body["name"], body["start_url"], body["scope"]) == ("Portemonnee", "/wallet", "/wallet")
    for icon in body["icons"]:
        assert (await client.get(icon["src"])).status_code == 200
    worker = await client.get("/wallet/service-worker.js")
    assert worker.status_code == 200
    assert worker.headers["service-worker-allowed"] == "/wallet"
    assert worker.headers["content-type"].startswith("text/javascript")
    assert "caches" in worker.text


async def test_a_members_challenge_progress_is_theirs_and_the_operators_not_a_shops(
    place: WalletTown, gql: GraphQL
) -> None:
    query = """query($c: String!) { member(cardNumber: $c) { cardQrSvg challenges { shopsVisited }
      wallet { pendingPoints { points } } } }"""
    operator = (await gql(place.town.operator_token, query, c=place.card_a))["data"]["member"]
    assert operator["challenges"] == [{"shopsVisited": 2}]
    assert operator["cardQrSvg"].startswith("<svg")
    assert operator["wallet"]["pendingPoints"] == []  # this town has no return window
    shop = (await gql(place.bakery_key, query, c=place.card_a))["data"]["member"]
    assert shop["challenges"] == []


async def test_points_about_to_expire_show_by_date_and_as_a_notice(
    client: httpx.AsyncClient, redis: Redis, place: WalletTown, gql: GraphQL
) -> None:
    member, card = await place.town.member(place.bakery)
    await earn(gql, place.bakery_key, card, "3")
    await make_lots_expire_in(place.town, card, timedelta(days=10))
    async with place.town.engine.begin() as connection:
        await notices.write_expiring(connection, place.town.coalition_id, 30)
    async with await member_browser(client, redis, member, place.town.coalition_id) as browser:
        points = await browser.get("/wallet/points", headers={"Accept-Language": "nb"})
        expiring = points.text.split('id="expiring-heading"')[1].split("</section>")[0]
        assert re.search(r"30 utløper \d+\. \w+ 20\d\d", expiring), expiring
        told = await browser.get("/wallet/notices")
    assert "Points about to expire" in told.text
    assert re.search(r"30 of your points expire from \w+ \d+, 20\d\d\.", told.text)
