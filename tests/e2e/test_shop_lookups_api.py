"""What the shop's portal pages added to the API: members looked up by
e-mail or phone (the operator; a shop's MANAGER only among members it
enrolled or served; never a till key) and a shop's payout IBAN (the
operator and the shop's MANAGER only)."""

from __future__ import annotations

import uuid

from coalition.platform.auth.service import issue
from coalition.platform.auth.tokens import CredentialKind, PartnerRole
from tests.support.graphql import GraphQL, key
from tests.support.town import Town

BY_CONTACT = "query($e: String, $p: String) { member(email: $e, phone: $p) { id } }"
IBAN = "query($id: ID!) { partner(id: $id) { payoutIban } }"


async def test_members_by_email_or_phone_and_the_payout_iban(town: Town, gql: GraphQL) -> None:
    bakery, bakery_manager = await town.partner("Bakery", "1", iban="NL91ABNA0417164300")
    books, books_manager = await town.partner("Books", "1")
    async with town.sessions.begin() as session:
        _, till = await issue(session, coalition_id=town.coalition_id, kind=CredentialKind.PARTNER,
                              partner_id=bakery, role=PartnerRole.POS)  # fmt: skip
    email, phone = f"{uuid.uuid4().hex[:8]}@members.test", f"+3162{uuid.uuid4().int % 10**7:07d}"
    enrolled = await gql(
        bakery_manager,
        "mutation($i: EnrollMemberInput!) { enrollMember(input: $i) { member { id cardNumber } } }",
        i={"idempotencyKey": key(), "email": email, "phone": phone},
    )
    member = enrolled["data"]["enrollMember"]["member"]

    async def found(token: str, **contact: str) -> object:
        answer = await gql(token, BY_CONTACT, **contact)
        return answer["data"]["member"]["id"] if answer["data"]["member"] else None

    assert await found(bakery_manager, e=email.upper()) == member["id"]
    assert await found(bakery_manager, p=phone) == member["id"]
    assert await found(town.operator_token, e=email) == member["id"]
    assert await found(till, e=email) is None  # a till scans cards
    assert await found(books_manager, e=email) is None  # never served there
    await town.earn(books, member["cardNumber"], "5")
    assert await found(books_manager, e=email) == member["id"]  # now a customer of the bookshop too
    malformed = await gql(bakery_manager, BY_CONTACT, e="not an address")
    assert malformed["errors"][0]["extensions"]["code"] == "VALIDATION"
    both = await gql(bakery_manager, 'query { member(cardNumber: "8000", email: "a@b.test") { id } }')
    assert both["errors"]

    async def iban(token: str, partner: uuid.UUID) -> object:
        return (await gql(token, IBAN, id=str(partner)))["data"]["partner"]["payoutIban"]

    assert await iban(bakery_manager, bakery) == "NL91ABNA0417164300"
    assert await iban(town.operator_token, bakery) == "NL91ABNA0417164300"
    assert await iban(till, bakery) is None
    assert await iban(books_manager, bakery) is None
