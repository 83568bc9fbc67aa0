from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest

from tests.conftest import GraphQL, Town

ENROL = """mutation($input: EnrollMemberInput!) { enrollMember(input: $input) {
  member { id cardNumber wallet { balance } } errors { code message field } } }"""
EARN = """mutation($input: EarnPointsInput!) { earnPoints(input: $input) {
  transaction { id kind points explanation businessDate purchase { amount currency } partner { id name } }
  wallet { balance available pending } errors { code message field } } }"""
REDEEM = """mutation($input: RedeemPointsInput!) { redeemPoints(input: $input) {
  transaction { id kind points } wallet { balance available pending } errors { code message field } } }"""
REVERSE = """mutation($input: ReverseTransactionInput!) { reverseTransaction(input: $input) {
  transaction { id kind points reverses { id kind } } wallet { balance } errors { code message field } } }"""
WALLET = """query($card: String!) { member(cardNumber: $card) { id wallet { balance available pending
  transactions(first: 50) { edges { node { id kind points partner { id } } } } } } }"""


@dataclass
class Scene:
    """Two shops, a member of each, and every kind of credential."""

    town: Town
    operator: str
    shop_a: uuid.UUID
    manager_a: str
    pos_a: str
    shop_b: uuid.UUID
    manager_b: str
    card_a: str
    member_a: uuid.UUID
    member_token_a: str
    card_b: str
    member_token_b: str
    earn_a: str  # a transaction posted by shop A for member A
    earn_b: str  # a transaction posted by shop B for member B


def key() -> str:
    return uuid.uuid4().hex


@pytest.fixture
async def scene(town: Town, gql: GraphQL) -> Scene:
    from coalition.platform.auth.service import issue
    from coalition.platform.auth.tokens import CredentialKind, PartnerRole

    shop_a, manager_a = await town.partner("A", "1")
    shop_b, manager_b = await town.partner("B", "2")
    member_a, card_a = await town.member(shop_a)
    member_b, card_b = await town.member(shop_b)
    async with town.sessions.begin() as session:
        _, pos_a = await issue(
            session,
            coalition_id=town.coalition_id,
            kind=CredentialKind.PARTNER,
            partner_id=shop_a,
            role=PartnerRole.POS,
        )
        _, token_a = await issue(
            session, coalition_id=town.coalition_id, kind=CredentialKind.MEMBER, member_id=member_a
        )
        _, token_b = await issue(
            session, coalition_id=town.coalition_id, kind=CredentialKind.MEMBER, member_id=member_b
        )
    earn_a = await gql(pos_a, EARN, input={"idempotencyKey": key(), "cardNumber": card_a, "amount": "100"})
    earn_b = await gql(manager_b, EARN, input={"idempotencyKey": key(), "cardNumber": card_b, "amount": "100"})
    return Scene(
        town, town.operator_token, shop_a, manager_a, pos_a, shop_b, manager_b, card_a, member_a, token_a,
        card_b, token_b, earn_a["data"]["earnPoints"]["transaction"]["id"],
        earn_b["data"]["earnPoints"]["transaction"]["id"],
    )  # fmt: skip
