"""The API's change of a member's e-mail address: the member proves the new
address with a code mailed to it (requestEmailChange, confirmEmailChange) and
may no longer set it with updateProfile; the operator's support still sets
one directly, audited."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from coalition.partners.earning.till import TillSetups
from coalition.platform.ledger.service import LedgerService
from tests.support.graphql import GraphQL
from tests.support.personal_data import add_person
from tests.support.town import Town
from tests.support.wallet import CODE, mails_to

REQUEST = """mutation($email: String!) { requestEmailChange(email: $email) { sentTo errors { code message field } } }"""
CONFIRM = """mutation($code: String!) { confirmEmailChange(code: $code) {
  profile { email } refusal errors { code field } } }"""
UPDATE = """mutation($input: UpdateProfileInput!) { updateProfile(input: $input) {
  profile { email phone } errors { code message field } } }"""
PROFILE = """query($id: ID!) { member(id: $id) { profile { email } } }"""


@pytest.fixture(scope="module")
async def scene(engine: AsyncEngine, ledger: LedgerService, till_setups: TillSetups) -> dict[str, Any]:
    town = await Town(engine, ledger, till_setups).create()
    shop, _ = await town.partner("Bakery", "1")
    anna = await add_person(town, shop, "cleo", phone=f"+3165{uuid.uuid4().int % 10**7:07d}")
    bob = await add_person(town, shop, "dan", phone=f"+3166{uuid.uuid4().int % 10**7:07d}")
    return {"town": town, "anna": anna, "bob": bob}


def _errors(answer: dict[str, Any], name: str) -> list[tuple[str, list[str] | None]]:
    return [(e["code"], e["field"]) for e in answer["data"][name]["errors"]]


async def _email(gql: GraphQL, town: Town, member_id: uuid.UUID) -> str:
    email: str = (await gql(town.operator_token, PROFILE, id=str(member_id)))["data"]["member"]["profile"]["email"]
    return email.lower()  # a member may change the case of their address directly


async def test_a_members_direct_change_is_refused_pointing_to_the_code_mutations(
    gql: GraphQL, scene: dict[str, Any]
) -> None:
    town, anna = scene["town"], scene["anna"]
    refused = await gql(anna.token, UPDATE, input={"email": "elsewhere@example.org", "phone": None})
    assert _errors(refused, "updateProfile") == [("FORBIDDEN", ["email"])]
    assert "requestEmailChange" in refused["data"]["updateProfile"]["errors"][0]["message"]
    assert await _email(gql, town, anna.member_id) == anna.email
    # The same address (any case) and the other fields still save directly.
    same = await gql(anna.token, UPDATE, input={"email": anna.email.upper(), "phone": anna.phone})
    assert same["data"]["updateProfile"]["errors"] == []


async def test_the_member_confirms_a_new_address_with_the_mailed_code(gql: GraphQL, scene: dict[str, Any]) -> None:
    town, anna = scene["town"], scene["anna"]
    new = f"cleo.{uuid.uuid4().hex[:6]}@example.org"
    asked = await gql(anna.token, REQUEST, email=new)
    assert asked["data"]["requestEmailChange"] == {"sentTo": new, "errors": []}
    mails = await mails_to(town.engine, town, new)
    assert len(mails) == 1
    found = CODE.search(mails[0].body)
    assert found is not None
    code = found.group(1)
    notices = [m for m in await mails_to(town.engine, town, anna.email) if "new e-mail address" in m.subject]
    assert len(notices) == 1
    assert "c***@example.org" in notices[0].body
    assert code not in notices[0].body
    wrong = await gql(anna.token, CONFIRM, code=f"{(int(code) + 1) % 10**6:06d}")
    assert wrong["data"]["confirmEmailChange"] == {
        "profile": None, "refusal": "WRONG", "errors": [{"code": "VALIDATION", "field": ["code"]}],
    }  # fmt: skip
    assert await _email(gql, town, anna.member_id) == anna.email
    right = await gql(anna.token, CONFIRM, code=code)
    assert right["data"]["confirmEmailChange"]["profile"] == {"email": new}
    spent = await gql(anna.token, CONFIRM, code=code)
    assert spent["data"]["confirmEmailChange"]["refusal"] == "SPENT"
    assert await _email(gql, town, anna.member_id) == new


async def test_bad_or_taken_addresses_get_stable_codes_and_mail_nothing(gql: GraphQL, scene: dict[str, Any]) -> None:
    town, bob, anna = scene["town"], scene["bob"], scene["anna"]
    current = await _email(gql, town, anna.member_id)
    for email, refusal in [
        ("x@", ("VALIDATION", ["email"])),
        ("", ("VALIDATION", ["email"])),
        (bob.email.upper(), ("CONFLICT", ["email"])),
        (current, ("VALIDATION", ["email"])),
    ]:
        assert _errors(await gql(anna.token, REQUEST, email=email), "requestEmailChange") == [refusal], email
    assert not [m for m in await mails_to(town.engine, town, bob.email) if "Confirm" in m.subject]
    # Only a member moves their own wallet by code.
    operator = await gql(town.operator_token, REQUEST, email="someone@example.org")
    assert _errors(operator, "requestEmailChange") == [("FORBIDDEN", None)]


async def test_the_operator_sets_an_address_directly_and_it_is_audited(gql: GraphQL, scene: dict[str, Any]) -> None:
    town, bob = scene["town"], scene["bob"]
    new = f"bob.{uuid.uuid4().hex[:6]}@example.org"
    support = await gql(town.operator_token, UPDATE, input={"memberId": str(bob.member_id), "email": new})
    assert support["data"]["updateProfile"]["profile"]["email"] == new
    async with town.engine.connect() as connection:
        action, after = (
            await connection.execute(
                text("SELECT action, after FROM audit_log WHERE subject_id = :m ORDER BY at DESC, id DESC LIMIT 1"),
                {"m": bob.member_id},
            )
        ).one()
    assert (action, after["changed"]) == ("member.profile", ["email"])
    annas = await _email(gql, town, scene["anna"].member_id)
    taken = await gql(town.operator_token, UPDATE, input={"memberId": str(bob.member_id), "email": annas})
    assert _errors(taken, "updateProfile") == [("CONFLICT", ["email"])]
