"""The personal-data API: who may export, erase and change a profile (the
member their own, the operator's support any member of its coalition, never
a shop), stable codes for bad input, the operator's reads audited, and an
erased member's token refused."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from coalition.partners.earning.till import TillSetups
from coalition.platform.ledger.service import LedgerService
from tests.support.graphql import GraphQL
from tests.support.personal_data import add_person
from tests.support.town import Town

EXPORT = """mutation($id: ID) { exportPersonalData(memberId: $id) { data errors { code field } } }"""
ERASE = """mutation($input: ErasePersonalDataInput!) { erasePersonalData(input: $input) {
  erased pointsLeft errors { code field } } }"""
UPDATE = """mutation($input: UpdateProfileInput!) { updateProfile(input: $input) {
  profile { email phone birthDate language marketingConsent } errors { code message field } } }"""
PROFILE = """query($id: ID!) { member(id: $id) { profile { email phone language } } }"""
RETENTION = """mutation($months: Int) { setPersonalDataRetention(months: $months) { months errors { code field } } }"""


@pytest.fixture(scope="module")
async def scene(engine: AsyncEngine, ledger: LedgerService, till_setups: TillSetups) -> dict[str, Any]:
    town = await Town(engine, ledger, till_setups).create()
    shop, shop_key = await town.partner("Bakery", "1")
    anna = await add_person(town, shop, "anna", phone="+31613000001")
    bob = await add_person(town, shop, "bob", phone="+31613000002")
    return {"town": town, "shop_key": shop_key, "anna": anna, "bob": bob}


def _errors(answer: dict[str, Any], name: str) -> list[tuple[str, list[str] | None]]:
    return [(e["code"], e["field"]) for e in answer["data"][name]["errors"]]


async def test_a_member_exports_their_own_data_and_no_one_elses(gql: GraphQL, scene: dict[str, Any]) -> None:
    anna, bob = scene["anna"], scene["bob"]
    own = await gql(anna.token, EXPORT)
    assert own["data"]["exportPersonalData"]["data"]["member"]["cardNumber"] == anna.card
    other = await gql(anna.token, EXPORT, id=str(bob.member_id))
    assert _errors(other, "exportPersonalData") == [("NOT_FOUND", ["memberId"])]


async def test_a_shop_may_neither_read_nor_change_nor_erase_a_persons_data(gql: GraphQL, scene: dict[str, Any]) -> None:
    key, anna = scene["shop_key"], scene["anna"]
    member = str(anna.member_id)
    assert _errors(await gql(key, EXPORT, id=member), "exportPersonalData") == [("FORBIDDEN", None)]
    erase = await gql(key, ERASE, input={"memberId": member, "confirm": True})
    assert _errors(erase, "erasePersonalData") == [("FORBIDDEN", None)]
    update = await gql(key, UPDATE, input={"memberId": member, "phone": None})
    assert _errors(update, "updateProfile") == [("FORBIDDEN", None)]
    assert (await gql(key, PROFILE, id=member))["data"]["member"]["profile"] is None


async def test_bad_input_gets_a_stable_code_and_changes_nothing(gql: GraphQL, scene: dict[str, Any]) -> None:
    town, anna = scene["town"], scene["anna"]
    operator = town.operator_token
    refusals = [
        (operator, EXPORT, {"id": None}, "exportPersonalData", ("VALIDATION", ["memberId"])),
        (operator, EXPORT, {"id": "not-an-id"}, "exportPersonalData", ("VALIDATION", ["memberId"])),
        (anna.token, UPDATE, {"input": {"phone": "06-12"}}, "updateProfile", ("VALIDATION", ["phone"])),
        (anna.token, UPDATE, {"input": {"email": "x@"}}, "updateProfile", ("VALIDATION", ["email"])),
        (anna.token, UPDATE, {"input": {"birthDate": "2999-01-01"}}, "updateProfile", ("VALIDATION", ["birthDate"])),
        (anna.token, UPDATE, {"input": {"language": "de"}}, "updateProfile", ("VALIDATION", ["language"])),
        (anna.token, UPDATE, {"input": {"email": scene["bob"].email}}, "updateProfile", ("FORBIDDEN", ["email"])),
        (anna.token, ERASE, {"input": {"confirm": False}}, "erasePersonalData", ("VALIDATION", ["confirm"])),
        (anna.token, RETENTION, {"months": 12}, "setPersonalDataRetention", ("FORBIDDEN", None)),
        (operator, RETENTION, {"months": 0}, "setPersonalDataRetention", ("VALIDATION", ["months"])),
    ]
    before = (await gql(anna.token, EXPORT))["data"]["exportPersonalData"]["data"]["tables"]["members"]
    for token, document, variables, name, refusal in refusals:
        assert _errors(await gql(token, document, **variables), name) == [refusal], (name, variables)
    after = (await gql(anna.token, EXPORT))["data"]["exportPersonalData"]["data"]["tables"]["members"]
    assert after == before


async def test_the_member_and_the_operator_change_a_profile_and_the_operators_reads_are_audited(
    gql: GraphQL, scene: dict[str, Any]
) -> None:
    town, bob = scene["town"], scene["bob"]
    mine = await gql(bob.token, UPDATE, input={"language": "pl", "marketingConsent": False})
    assert mine["data"]["updateProfile"]["profile"] == {
        "email": bob.email, "phone": bob.phone, "birthDate": "1990-05-17", "language": "pl", "marketingConsent": False,
    }  # fmt: skip
    support = await gql(town.operator_token, UPDATE, input={"memberId": str(bob.member_id), "phone": None})
    assert support["data"]["updateProfile"]["profile"]["phone"] is None
    assert (await gql(bob.token, PROFILE, id=str(bob.member_id)))["data"]["member"]["profile"]["language"] == "pl"
    read = await gql(town.operator_token, PROFILE, id=str(bob.member_id))
    assert read["data"]["member"]["profile"]["email"] == bob.email
    async with town.engine.connect() as connection:
        actions = (
            (
                await connection.execute(
                    text("SELECT action FROM audit_log WHERE subject_id = :m ORDER BY at, id"), {"m": bob.member_id}
                )
            )
            .scalars()
            .all()
        )
    # The member's own read is not audited; the operator's change and read are.
    assert actions[-3:] == ["member.profile", "member.profile", "member.personal_data.read"]


async def test_the_operator_sets_the_retention_and_erases_a_member_whose_token_then_fails(
    gql: GraphQL, scene: dict[str, Any]
) -> None:
    town, anna = scene["town"], scene["anna"]
    assert (await gql(town.operator_token, RETENTION, months=18))["data"]["setPersonalDataRetention"]["months"] == 18
    shown = await gql(town.operator_token, "{ personalDataRetention }")
    assert shown["data"]["personalDataRetention"] == 18
    erased = await gql(town.operator_token, ERASE, input={"memberId": str(anna.member_id), "confirm": True})
    assert erased["data"]["erasePersonalData"]["erased"] is True
    assert erased["data"]["erasePersonalData"]["pointsLeft"] >= 0
    refused = await gql(anna.token, EXPORT)
    assert refused["_status"] == 401  # revoked, and the member is ERASED
    again = await gql(town.operator_token, ERASE, input={"memberId": str(anna.member_id), "confirm": True})
    assert _errors(again, "erasePersonalData") == [("NOT_FOUND", ["memberId"])]
    assert await town.ledger_violations() == []
