"""The shop's programme pages in process, for an owner and a manager: earn
rules with the preview, campaigns (aimed with a holdout, and the experiment
report), stamp cards and rewards; refusals for a cashier, another shop, no
session and no form token; bad input answered next to its field, nothing changed."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from coalition.partners.earning.till import TillSetups
from coalition.platform.ledger.service import LedgerService
from tests.support.shop_pages import ShopStaff, shop_with_staff
from tests.support.town import Town
from tests.support.web_sessions import form_token

PROGRAMME = "/portal/shop/programme"
PAGES = [PROGRAMME, f"{PROGRAMME}/campaigns", f"{PROGRAMME}/stamp-cards", f"{PROGRAMME}/rewards"]


@pytest.fixture(scope="module")
async def shops(
    engine: AsyncEngine, ledger: LedgerService, till_setups: TillSetups, client: httpx.AsyncClient
) -> AsyncIterator[ShopStaff]:
    async with shop_with_staff(await Town(engine, ledger, till_setups).create(), client) as staff:
        yield staff


async def _post(browser: httpx.AsyncClient, page: str, action: str, data: dict[str, str]) -> httpx.Response:
    token = form_token(await browser.get(page))
    return await browser.post(action, data={"_csrf_token": token, **data})


def _error(page: httpx.Response, name: str) -> str:
    found = re.search(rf'<p class="error" id="field-{re.escape(name)}-error">([^<]*)</p>', page.text)
    assert found is not None, f"no error next to {name}"
    return found.group(1)


async def _earn_rules(shops: ShopStaff) -> str:
    page = await shops.owner.get(PROGRAMME)
    found = re.search(r'id="field-baseRate" name="baseRate" type="text" value="([^"]*)"', page.text)
    assert found is not None
    return found.group(1)


async def test_the_owner_and_the_manager_open_every_page(shops: ShopStaff) -> None:
    for browser in (shops.owner, shops.manager):
        for path in PAGES:
            page = await browser.get(path)
            assert page.status_code == 200, path
            assert 'aria-current="page"' in page.text


async def test_a_cashier_another_shop_and_no_one_are_refused(shops: ShopStaff) -> None:
    for path in PAGES:
        assert (await shops.cashier.get(path)).status_code == 403
        answer = await shops.nobody.get(path)
        assert (answer.status_code, answer.headers["location"].split("?")[0]) == (303, "/portal/sign-in")
    refused = await _post(shops.owner, PROGRAMME, f"{PROGRAMME}/rules", {"baseRate": "2"})
    assert refused.status_code == 303  # the owner's own form works...
    cashier = await shops.cashier.post(f"{PROGRAMME}/rules", data={"baseRate": "3"})
    assert cashier.status_code == 403  # ...a cashier's does not (no token either way)
    assert await _earn_rules(shops) == "2"


async def test_a_form_without_its_token_changes_nothing(shops: ShopStaff) -> None:
    before = await _earn_rules(shops)
    for action in (f"{PROGRAMME}/rules", f"{PROGRAMME}/campaigns", f"{PROGRAMME}/rewards", f"{PROGRAMME}/stamp-cards"):
        answer = await shops.owner.post(action, data={"baseRate": "7", "name": "Sneaky"})
        assert answer.status_code == 403, action
    assert await _earn_rules(shops) == before
    assert "Sneaky" not in (await shops.owner.get(f"{PROGRAMME}/rewards")).text


async def test_the_earn_rules_are_saved_and_bad_ones_are_refused_next_to_their_field(shops: ShopStaff) -> None:
    saved = await _post(
        shops.manager, PROGRAMME, f"{PROGRAMME}/rules",
        {"baseRate": "1,5", "categoryRates.0.category": "bread", "categoryRates.0.rate": "3",
         "thresholds.0.minSpend": "50", "thresholds.0.points": "20"},
    )  # fmt: skip
    assert (saved.status_code, saved.headers["location"]) == (303, f"{PROGRAMME}?saved=true")
    page = await shops.owner.get(f"{PROGRAMME}?saved=true")
    assert "bread" in page.text
    assert await _earn_rules(shops) == "1.5"

    not_a_number = await _post(shops.owner, PROGRAMME, f"{PROGRAMME}/rules", {"baseRate": "lots"})
    assert not_a_number.status_code == 422
    assert _error(not_a_number, "baseRate") == "Enter a number, such as 1.5"
    too_high = await _post(shops.owner, PROGRAMME, f"{PROGRAMME}/rules", {"baseRate": "5000"})
    assert too_high.status_code == 422
    assert _error(too_high, "baseRate").startswith("Not accepted: ")
    missing = await _post(shops.owner, PROGRAMME, f"{PROGRAMME}/rules", {"baseRate": "1", "thresholds.0.points": "5"})
    assert _error(missing, "thresholds.0.minSpend") == "This is required"
    assert await _earn_rules(shops) == "1.5"


async def test_the_preview_earns_a_sample_basket_under_the_edited_rules_and_saves_nothing(shops: ShopStaff) -> None:
    before = await _earn_rules(shops)
    shown = await _post(
        shops.owner, PROGRAMME, f"{PROGRAMME}/preview",
        {"baseRate": "2", "categoryRates.0.category": "cake", "categoryRates.0.rate": "5",
         "sample.amount": "10", "sample.0.category": "cake", "sample.0.amount": "4"},
    )  # fmt: skip
    assert shown.status_code == 200
    # 6.00 at the base rate 2 (12) and 4.00 of cake at 5 (20): the engine's own explanation lines.
    assert "32 points" in shown.text
    assert "Base rate 2 per 1 EUR on 6 EUR: 12 points" in shown.text
    assert "cake: 5 per 1 EUR on 4 EUR: 20 points" in shown.text
    assert await _earn_rules(shops) == before

    bad = await _post(
        shops.owner, PROGRAMME, f"{PROGRAMME}/preview",
        {"baseRate": "2", "sample.amount": "10", "sample.0.category": "cake", "sample.0.amount": "40"},
    )  # fmt: skip
    assert bad.status_code == 422
    assert "lines add up to more than the amount" in _error(bad, "sample.amount")
    no_amount = await _post(shops.owner, PROGRAMME, f"{PROGRAMME}/preview", {"baseRate": "2"})
    assert _error(no_amount, "sample.amount") == "This is required"


async def test_a_campaign_aimed_at_a_segment_with_a_holdout_and_its_page(shops: ShopStaff) -> None:
    campaigns = f"{PROGRAMME}/campaigns"
    created = await _post(
        shops.owner, campaigns, campaigns,
        {"name": "Wake up", "kind": "FIXED_BONUS", "bonusPoints": "25", "minSpend": "10",
         "startsAt": "2026-01-01T08:00", "endsAt": "2030-01-01T08:00", "audience": "Hibernating",
         "holdoutPercent": "10"},
    )  # fmt: skip
    assert created.status_code == 303
    page = await shops.manager.get(created.headers["location"])
    assert page.status_code == 200
    assert "Hibernating" in page.text
    assert "Experiment" in page.text
    assert "Not enough data yet to name a winner." in page.text
    assert "Wake up" in (await shops.owner.get(campaigns)).text

    # Another shop's owner neither sees it nor ends it.
    assert (await shops.other_owner.get(created.headers["location"])).status_code == 404
    token = form_token(await shops.other_owner.get(campaigns))
    ending = await shops.other_owner.post(f"{created.headers['location']}/end", data={"_csrf_token": token})
    assert ending.status_code == 404
    assert (await shops.manager.get(f"{campaigns}/not-an-id")).status_code == 404

    ended = await _post(shops.owner, created.headers["location"], f"{created.headers['location']}/end", {})
    assert ended.status_code == 303
    assert "End the campaign now" not in (await shops.owner.get(created.headers["location"])).text


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"audience": "Whales"}, "audience", "Not accepted: no such segment"),
        ({"holdoutPercent": "90"}, "holdoutPercent", "Not accepted: the holdout share"),
        ({"audience": "", "holdoutPercent": "10"}, "holdoutPercent", "A holdout needs an audience"),
        ({"startsAt": "soon"}, "startsAt", "Enter a date and time"),
        ({"bonusPoints": "many"}, "bonusPoints", "Enter a whole number"),
        ({"name": ""}, "name", "This is required"),
    ],
)
async def test_a_bad_campaign_is_refused_next_to_its_field(
    shops: ShopStaff, changes: dict[str, str], field: str, message: str
) -> None:
    campaigns = f"{PROGRAMME}/campaigns"
    given = {
        "name": "Bad one", "kind": "FIXED_BONUS", "bonusPoints": "25", "minSpend": "10",
        "startsAt": "2026-01-01T08:00", "endsAt": "2030-01-01T08:00", "audience": "Loyal", "holdoutPercent": "10",
    } | changes  # fmt: skip
    answer = await _post(shops.owner, campaigns, campaigns, given)
    assert answer.status_code == 422
    assert _error(answer, field).startswith(message)
    assert "Bad one</a>" not in (await shops.owner.get(campaigns)).text


async def test_rewards_and_stamp_cards_are_added_withdrawn_and_retired(shops: ShopStaff) -> None:
    rewards, cards = f"{PROGRAMME}/rewards", f"{PROGRAMME}/stamp-cards"
    bad = await _post(shops.manager, rewards, rewards, {"name": "Croissant", "kind": "FREE_PRODUCT", "validDays": "x"})
    assert (bad.status_code, _error(bad, "validDays")) == (422, "Enter a whole number")
    added = await _post(
        shops.manager, rewards, rewards, {"name": "Croissant", "kind": "FREE_PRODUCT", "validDays": "30"}
    )
    assert added.status_code == 303
    page = await shops.owner.get(rewards)
    assert "Croissant" in page.text
    reward_id = re.search(r'value="([0-9a-f-]{36})">Croissant</option>', (await shops.owner.get(cards)).text)
    assert reward_id is not None

    bad_card = await _post(shops.owner, cards, cards, {"name": "Coffee", "stampsRequired": "1", "rewardId": reward_id.group(1)})  # fmt: skip
    assert (bad_card.status_code, _error(bad_card, "stampsRequired")[:14]) == (422, "Not accepted: ")
    card = await _post(shops.owner, cards, cards, {"name": "Coffee", "stampsRequired": "8", "rewardId": reward_id.group(1)})  # fmt: skip
    assert card.status_code == 303
    listed = await shops.owner.get(cards)
    retire = re.search(r'action="(/portal/shop/programme/stamp-cards/[^"]+/retire)"', listed.text)
    assert retire is not None
    assert (await _post(shops.owner, cards, retire.group(1), {})).status_code == 303
    assert "/retire" not in (await shops.owner.get(cards)).text
    assert (await _post(shops.other_owner, cards, retire.group(1), {})).status_code == 404

    withdraw = re.search(r'action="(/portal/shop/programme/rewards/[^"]+/withdraw)"', page.text)
    assert withdraw is not None
    assert (await _post(shops.other_owner, rewards, withdraw.group(1), {})).status_code == 404
    assert (await _post(shops.owner, rewards, withdraw.group(1), {})).status_code == 303
    assert "(withdrawn)" in (await shops.owner.get(rewards)).text


@pytest.mark.parametrize("language", ["nl", "fr", "pl", "nb"])
async def test_every_page_speaks_each_language(shops: ShopStaff, language: str) -> None:
    campaigns = (await shops.owner.get(f"{PROGRAMME}/campaigns")).text
    links = re.findall(r'href="(/portal/shop/programme/campaigns/[0-9a-f-]{36})"', campaigns)
    for path in [*PAGES, *links[:1]]:
        page = await shops.owner.get(path, headers={"Accept-Language": language})
        assert page.status_code == 200, path
        assert f'<html lang="{language}">' in page.text
    bad = await shops.owner.post(
        f"{PROGRAMME}/rules",
        data={"_csrf_token": form_token(await shops.owner.get(PROGRAMME)), "baseRate": "x"},
        headers={"Accept-Language": language},
    )
    assert _error(bad, "baseRate") not in {"", "Enter a number, such as 1.5"}
