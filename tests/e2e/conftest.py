"""The scene the API tests share: built through the real services and the API."""

from __future__ import annotations

import pytest

from tests.support.graphql import EARN, GraphQL, key
from tests.support.scene import Scene
from tests.support.town import Town


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
