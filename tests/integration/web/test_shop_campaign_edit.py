"""Changing a campaign in the shop's programme pages: the form filled from
the campaign, saved before it starts; bad input answered next to its field
with nothing changed; a started campaign shown read-only with the reason and
its End button; refusals for a cashier, another shop, no session and no form
token; the page in every language."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from coalition.partners.earning.till import TillSetups
from coalition.platform.ledger.service import LedgerService
from tests.support.shop_pages import ShopStaff, shop_with_staff
from tests.support.town import Town
from tests.support.web_sessions import form_token

CAMPAIGNS = "/portal/shop/programme/campaigns"
ZONE = ZoneInfo("Europe/Amsterdam")  # the test town's


@pytest.fixture(scope="module")
async def shop(
    engine: AsyncEngine, ledger: LedgerService, till_setups: TillSetups, client: httpx.AsyncClient
) -> AsyncIterator[ShopStaff]:
    async with shop_with_staff(await Town(engine, ledger, till_setups).create(), client) as staff:
        yield staff


def _local(moment: datetime) -> str:
    return moment.astimezone(ZONE).strftime("%Y-%m-%dT%H:%M")


def _error(page: httpx.Response, name: str) -> str:
    found = re.search(rf'<p class="error" id="field-{re.escape(name)}-error">([^<]*)</p>', page.text)
    assert found is not None, f"no error next to {name}"
    return found.group(1)


def _value(page: httpx.Response, name: str) -> str:
    found = re.search(rf'id="field-{re.escape(name)}" name="{re.escape(name)}" type="[^"]+" value="([^"]*)"', page.text)
    assert found is not None, f"no field {name}"
    return found.group(1)


def _selected(page: httpx.Response, name: str) -> str:
    select = re.search(rf'<select id="field-{re.escape(name)}".*?</select>', page.text, re.S)
    assert select is not None, f"no choice {name}"
    found = re.search(r'<option value="([^"]*)" selected>', select.group(0))
    return found.group(1) if found else ""


async def _post(browser: httpx.AsyncClient, page: str, action: str, data: dict[str, str]) -> httpx.Response:
    token = form_token(await browser.get(page))
    return await browser.post(action, data={"_csrf_token": token, **data})


async def _campaign(shop: ShopStaff, name: str, *, starts: datetime | None = None) -> str:
    """A new campaign of the bakery (starting in three days unless ``starts``); its page."""
    starts = starts or datetime.now(ZONE) + timedelta(days=3)
    created = await _post(
        shop.owner, CAMPAIGNS, CAMPAIGNS,
        {"name": name, "kind": "FIXED_BONUS", "bonusPoints": "25", "minSpend": "10", "categories": "bread, cake",
         "startsAt": _local(starts), "endsAt": _local(starts + timedelta(days=30)), "audience": "Loyal",
         "holdoutPercent": "10"},
    )  # fmt: skip
    assert created.status_code == 303, created.text
    location: str = created.headers["location"]
    return location


async def test_the_form_is_filled_from_the_campaign_and_a_change_is_saved(shop: ShopStaff) -> None:
    page = await _campaign(shop, "Spring bonus")
    assert f'href="{page}/edit"' in (await shop.owner.get(page)).text
    form = await shop.manager.get(f"{page}/edit")
    assert form.status_code == 200
    assert (_value(form, "name"), _value(form, "bonusPoints"), _value(form, "minSpend")) == (
        "Spring bonus",
        "25",
        "10.00",
    )
    assert (_value(form, "categories"), _value(form, "holdoutPercent")) == ("bread, cake", "10")
    assert (_selected(form, "kind"), _selected(form, "audience")) == ("FIXED_BONUS", "Loyal")
    starts = _value(form, "startsAt")
    assert datetime.fromisoformat(starts) > datetime.now(ZONE).replace(tzinfo=None)

    saved = await _post(
        shop.manager, f"{page}/edit", f"{page}/edit",
        {"name": "Summer bonus", "kind": "MULTIPLIER", "multiplier": "2,5", "startsAt": starts,
         "endsAt": _value(form, "endsAt"), "audience": "At risk", "holdoutPercent": "20"},
    )  # fmt: skip
    assert (saved.status_code, saved.headers["location"]) == (303, page)
    shown = await shop.owner.get(page)
    assert "Summer bonus" in shown.text
    assert "At risk" in shown.text
    assert "2.5 times the points" in shown.text
    again = await shop.owner.get(f"{page}/edit")
    assert (_value(again, "multiplier"), _value(again, "holdoutPercent"), _value(again, "minSpend")) == (
        "2.5",
        "20",
        "",
    )
    assert _value(again, "startsAt") == starts


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": ""}, "name", "This is required"),
        ({"bonusPoints": "many"}, "bonusPoints", "Enter a whole number"),
        ({"endsAt": "soon"}, "endsAt", "Enter a date and time"),
        ({"audience": "Whales"}, "audience", "Not accepted: no such segment"),
        ({"holdoutPercent": "90"}, "holdoutPercent", "Not accepted: the holdout share"),
        ({"audience": "", "holdoutPercent": "10"}, "holdoutPercent", "A holdout needs an audience"),
    ],
)
async def test_a_bad_change_is_refused_next_to_its_field_and_changes_nothing(
    shop: ShopStaff, changes: dict[str, str], field: str, message: str
) -> None:
    page = await _campaign(shop, "Unchanged")
    form = await shop.owner.get(f"{page}/edit")
    given = {
        name: _value(form, name) for name in ("name", "bonusPoints", "minSpend", "startsAt", "endsAt", "holdoutPercent")
    } | {"kind": "FIXED_BONUS", "audience": "Loyal"}
    answer = await _post(shop.owner, f"{page}/edit", f"{page}/edit", given | {"name": "Changed"} | changes)
    assert answer.status_code == 422
    assert _error(answer, field).startswith(message)
    assert "Nothing was saved" in answer.text
    if field != "name":
        assert _value(answer, "name") == "Changed"  # what was typed is shown again
    after = await shop.owner.get(f"{page}/edit")
    assert (_value(after, "name"), _selected(after, "audience"), _value(after, "holdoutPercent")) == (
        "Unchanged", "Loyal", "10",
    )  # fmt: skip


async def test_a_started_campaign_is_shown_read_only_with_the_reason_and_can_be_ended(shop: ShopStaff) -> None:
    page = await _campaign(shop, "Running now", starts=datetime.now(ZONE) - timedelta(hours=1))
    shown = await shop.owner.get(f"{page}/edit")
    assert shown.status_code == 200
    assert "It has started, so it can no longer be changed" in shown.text
    assert f'action="{page}/edit"' not in shown.text
    assert f'action="{page}/end"' in shown.text
    assert f'href="{page}/edit"' not in (await shop.owner.get(page)).text

    refused = await _post(shop.owner, page, f"{page}/edit", {"name": "Sneaky", "kind": "FIXED_BONUS"})
    assert refused.status_code == 409
    assert 'role="alert">It has started' in refused.text
    assert "Sneaky" not in (await shop.owner.get(page)).text

    assert (await _post(shop.owner, page, f"{page}/end", {})).status_code == 303
    ended = await shop.owner.get(f"{page}/edit")
    assert "It has ended, so it can no longer be changed." in ended.text
    assert f'action="{page}/end"' not in ended.text


async def test_a_cashier_another_shop_no_one_and_a_form_without_its_token_are_refused(shop: ShopStaff) -> None:
    page = await _campaign(shop, "Ours")
    edit = f"{page}/edit"
    assert (await shop.cashier.get(edit)).status_code == 403
    assert (await shop.cashier.post(edit, data={"name": "Cashier's"})).status_code == 403
    assert (await shop.other_owner.get(edit)).status_code == 404
    token = form_token(await shop.other_owner.get(CAMPAIGNS))
    foreign = await shop.other_owner.post(edit, data={"_csrf_token": token, "name": "Butcher's", "kind": "FIXED_BONUS"})
    assert foreign.status_code == 404
    answer = await shop.nobody.get(edit)
    assert (answer.status_code, answer.headers["location"].split("?")[0]) == (303, "/portal/sign-in")
    assert (await shop.owner.post(edit, data={"name": "Tokenless", "kind": "FIXED_BONUS"})).status_code == 403
    assert (await shop.owner.get(f"{CAMPAIGNS}/{uuid.uuid4()}/edit")).status_code == 404
    assert (await shop.owner.get(f"{CAMPAIGNS}/not-an-id/edit")).status_code == 404
    assert _value(await shop.owner.get(edit), "name") == "Ours"


@pytest.mark.parametrize(
    ("language", "heading"),
    [("nl", "De campagne wijzigen"), ("fr", "Modifier la campagne"), ("pl", "Zmień kampanię"),
     ("nb", "Endre kampanjen")],
)  # fmt: skip
async def test_the_edit_page_speaks_each_language(shop: ShopStaff, language: str, heading: str) -> None:
    page = await _campaign(shop, f"In {language}")
    shown = await shop.owner.get(f"{page}/edit", headers={"Accept-Language": language})
    assert f'<html lang="{language}">' in shown.text
    assert heading in shown.text
