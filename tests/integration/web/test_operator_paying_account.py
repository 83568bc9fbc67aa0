"""The coalition's paying account on the operator's settlement page and
through the API: shown, set by operator finance or admin (and audited), each
refusal next to its field with a stable code and nothing changed; shops may
neither see nor set it."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import text

from coalition.platform.runtime.settings import Settings
from coalition.platform.staff.rules import StaffRole
from tests.support.graphql import GraphQL
from tests.support.operator_pages import PAYER_IBAN, signed_in
from tests.support.town import Town
from tests.support.web_sessions import form_token

PAGE = "/portal/operator/settlement"
ACTION = f"{PAGE}/paying-account"
SET = """mutation($name: String!, $iban: String!, $bic: String) { setPayingAccount(name: $name, iban: $iban, bic: $bic) {
  account { name iban bic } errors { code message field } } }"""
READ = "{ payingAccount { name iban bic } }"


@pytest.fixture
async def redis(settings: Settings) -> AsyncIterator[Redis]:
    assert settings.redis_url
    connection = Redis.from_url(settings.redis_url)
    yield connection
    await connection.aclose()


async def _stored(town: Town) -> tuple[Any, ...] | None:
    async with town.engine.connect() as c:
        row = (
            await c.execute(
                text("SELECT payer_name, payer_iban, payer_bic FROM settlement_policies WHERE coalition_id = :c"),
                {"c": town.coalition_id},
            )
        ).first()
    return None if row is None else tuple(row)


def _error(page: httpx.Response, name: str) -> str:
    found = re.search(rf'<p class="error" id="f-account-{name}-error">([^<]*)</p>', page.text)
    assert found is not None, f"no error next to {name}"
    return found.group(1)


@pytest.mark.parametrize("role", [StaffRole.OPERATOR_FINANCE, StaffRole.OPERATOR_ADMIN])
async def test_the_paying_account_is_shown_set_and_audited(
    town: Town, client: httpx.AsyncClient, redis: Redis, role: StaffRole
) -> None:
    async with await signed_in(client, redis, town, role) as operator:
        page = await operator.get(PAGE)
        assert "No paying account is set" in page.text
        saved = await operator.post(
            ACTION,
            data={"_csrf_token": form_token(page), "name": " Town Association ", "iban": "nl91 abna 0417 1643 00",
                  "bic": "ABNANL2A"},
        )  # fmt: skip
        assert (saved.status_code, saved.headers["location"]) == (303, f"{PAGE}?done=account")
        shown = await operator.get(saved.headers["location"])
        assert "The paying account is saved" in shown.text
        assert f"Payout files pay from Town Association, IBAN {PAYER_IBAN}." in shown.text
        assert f'id="f-account-iban" name="iban" type="text" value="{PAYER_IBAN}"' in shown.text
    assert await _stored(town) == ("Town Association", PAYER_IBAN, "ABNANL2A")
    async with town.engine.connect() as c:
        audited = (
            await c.execute(
                text("SELECT before, after FROM audit_log WHERE action = 'settlement.paying_account'"
                     " AND coalition_id = :c"),
                {"c": town.coalition_id},
            )
        ).one()  # fmt: skip
    assert audited.before["payer_iban"] is None
    assert audited.after == {"payer_name": "Town Association", "payer_iban": PAYER_IBAN, "payer_bic": "ABNANL2A"}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"iban": "NL91ABNA0417164301"}, "iban", "This is not a valid IBAN"),
        ({"iban": ""}, "iban", "This is not a valid IBAN"),
        ({"bic": "NOT A BIC"}, "bic", "This is not a valid BIC"),
        ({"name": ""}, "name", "Type the name of the account holder"),
    ],
)
async def test_bad_input_is_refused_next_to_its_field_and_changes_nothing(
    town: Town, client: httpx.AsyncClient, redis: Redis, changes: dict[str, str], field: str, message: str
) -> None:
    async with await signed_in(client, redis, town, StaffRole.OPERATOR_FINANCE) as finance:
        token = form_token(await finance.get(PAGE))
        first = {"_csrf_token": token, "name": "Town Association", "iban": PAYER_IBAN, "bic": ""}
        assert (await finance.post(ACTION, data=first)).status_code == 303
        typed = first | {"name": "Other Holder", "iban": "BE68539007547034"} | changes
        bad = await finance.post(ACTION, data=typed)
        assert bad.status_code == 400
        assert _error(bad, field).startswith(message)
        assert 'role="alert">Nothing was saved' in bad.text
        assert f'id="f-account-iban" name="iban" type="text" value="{typed["iban"]}"' in bad.text
    assert await _stored(town) == ("Town Association", PAYER_IBAN, None)


async def test_the_api_names_the_field_at_fault_with_a_stable_code(town: Town, gql: GraphQL) -> None:
    for variables, field in [
        ({"name": "Town", "iban": "NL91ABNA0417164301"}, "iban"),
        ({"name": "Town", "iban": ""}, "iban"),
        ({"name": "Town", "iban": PAYER_IBAN, "bic": "12"}, "bic"),
        ({"name": " ", "iban": PAYER_IBAN}, "name"),
    ]:
        refused = (await gql(town.operator_token, SET, **variables))["data"]["setPayingAccount"]
        assert [(e["code"], e["field"]) for e in refused["errors"]] == [("VALIDATION", [field])], variables
        assert refused["account"] is None
    assert (await gql(town.operator_token, READ))["data"]["payingAccount"] == {"name": None, "iban": None, "bic": None}
    saved = (await gql(town.operator_token, SET, name="Town", iban=PAYER_IBAN))["data"]["setPayingAccount"]
    assert saved == {"account": {"name": "Town", "iban": PAYER_IBAN, "bic": None}, "errors": []}
    assert (await gql(town.operator_token, READ))["data"]["payingAccount"]["iban"] == PAYER_IBAN


async def test_a_shop_may_neither_see_nor_set_it(town: Town, client: httpx.AsyncClient, gql: GraphQL) -> None:
    _, key = await town.partner("Bakery")
    assert (await gql(key, READ))["data"]["payingAccount"] is None
    refused = (await gql(key, SET, name="Bakery", iban="BE68539007547034"))["data"]["setPayingAccount"]
    assert [e["code"] for e in refused["errors"]] == ["FORBIDDEN"]
    assert await _stored(town) is None


@pytest.mark.parametrize("role", [StaffRole.OWNER, StaffRole.MANAGER, StaffRole.CASHIER])
async def test_shop_staff_and_forms_without_a_token_or_a_session_are_refused(
    town: Town, client: httpx.AsyncClient, redis: Redis, role: StaffRole
) -> None:
    shop, _ = await town.partner("Bakery")
    fields = {"name": "Sneaky", "iban": "BE68539007547034"}
    async with await signed_in(client, redis, town, role, shop) as staff:
        assert (await staff.get(PAGE)).status_code == 403
        token = form_token(await staff.get("/terms/none"))
        assert (await staff.post(ACTION, data={"_csrf_token": token, **fields})).status_code == 403
    async with await signed_in(client, redis, town, StaffRole.OPERATOR_FINANCE) as finance:
        assert (await finance.post(ACTION, data=fields)).status_code == 403
        finance.cookies.clear()
        token = form_token(await finance.get("/terms/none"))
        gone = await finance.post(ACTION, data={"_csrf_token": token, **fields})
        assert (gone.status_code, gone.headers["location"].split("?")[0]) == (303, "/portal/sign-in")
    assert await _stored(town) is None


async def test_the_form_speaks_the_page_language(town: Town, client: httpx.AsyncClient, redis: Redis) -> None:
    async with await signed_in(client, redis, town, StaffRole.OPERATOR_FINANCE) as finance:
        headers = {"Accept-Language": "nl"}
        page = await finance.get(PAGE, headers=headers)
        assert "Betalende rekening" in page.text
        bad = await finance.post(
            ACTION, data={"_csrf_token": form_token(page), "name": "Stad", "iban": "NL00"}, headers=headers
        )
        assert _error(bad, "iban").startswith("Dit is geen geldige IBAN")
