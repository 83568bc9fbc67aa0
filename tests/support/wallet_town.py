"""A town for the wallet's page tests: two shops, a reward, a stamp card, a
charity, a challenge, tiers, transfers allowed; two members, the first with
points earned at both shops; and a member's signed-in browser."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from redis.asyncio import Redis

from coalition.platform.members import sessions as member_sessions
from tests.support.graphql import EARN, GraphQL, key
from tests.support.town import Town
from tests.support.web_sessions import sign_in_member

RULES = """mutation($input: CoalitionRulesInput!) { setCoalitionRules(input: $input) { errors { code message } } }"""
REWARD = """mutation($input: RewardInput!, $p: ID) { createReward(input: $input, partnerId: $p) { reward { id }
  errors { code message } } }"""
STAMPS = """mutation($input: StampCardInput!, $p: ID) { createStampCard(input: $input, partnerId: $p) {
  errors { code message } } }"""
CHARITY = (
    """mutation($input: CharityInput!) { createCharity(input: $input) { charity { id } errors { code message } } }"""
)
CHALLENGE = """mutation($input: ChallengeInput!) { createChallenge(input: $input) { errors { code message } } }"""
TRANSFERS = {"enabled": True, "maxPointsPerTransfer": 500, "maxPointsPerDay": 1000}


@dataclass
class WalletTown:
    town: Town
    bakery: uuid.UUID
    bakery_key: str
    books: uuid.UUID
    books_key: str
    member_a: uuid.UUID
    card_a: str
    member_b: uuid.UUID
    card_b: str
    reward_id: str
    dear_reward_id: str
    charity_id: str


def _ok(answer: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = answer["data"][name]
    assert found["errors"] == [], found
    return found


async def set_transfers(gql: GraphQL, town: Town, **transfers: Any) -> None:
    _ok(await gql(town.operator_token, RULES, input={"transfers": {**TRANSFERS, **transfers}}), "setCoalitionRules")


async def wallet_town(town: Town, gql: GraphQL) -> WalletTown:
    operator = town.operator_token
    bakery, bakery_key = await town.partner("Bakery", "10")
    books, books_key = await town.partner("Books", "2")
    await town.partner("Closed shop", active=False)
    rules = {
        "transfers": TRANSFERS,
        "donationMatching": {"percent": 50},
        "tiers": {"tiers": [
            {"code": "SILVER", "name": "Silver", "threshold": 0, "benefits": ["Members' evenings"]},
            {"code": "GOLD", "name": "Gold", "threshold": 5000, "benefits": ["Free delivery"]},
        ]},
    }  # fmt: skip
    _ok(await gql(operator, RULES, input=rules), "setCoalitionRules")
    coffee = {"name": "Free coffee", "kind": "FREE_PRODUCT", "validDays": 30, "pointsCost": 50}
    reward_id = _ok(await gql(operator, REWARD, input=coffee, p=str(bakery)), "createReward")["reward"]["id"]
    dear = {"name": "Bicycle", "kind": "FIXED_DISCOUNT", "value": "100", "validDays": 30, "pointsCost": 900000}
    dear_id = _ok(await gql(operator, REWARD, input=dear, p=str(books)), "createReward")["reward"]["id"]
    card = {"name": "Bread card", "stampsRequired": 5, "rewardId": reward_id}
    _ok(await gql(operator, STAMPS, input=card, p=str(bakery)), "createStampCard")
    charity = {"name": "Food bank", "description": "Meals for neighbours"}
    charity_id = _ok(await gql(operator, CHARITY, input=charity), "createCharity")["charity"]["id"]
    now = datetime.now(UTC)
    challenge = {
        "name": "Shop around", "distinctPartners": 3, "period": "MONTH", "bonusPoints": 25, "funding": "COALITION",
        "startsAt": (now - timedelta(days=1)).isoformat(), "endsAt": (now + timedelta(days=60)).isoformat(),
    }  # fmt: skip
    _ok(await gql(operator, CHALLENGE, input=challenge), "createChallenge")
    member_a, card_a = await town.member(bakery)
    member_b, card_b = await town.member(books)
    await earn(gql, bakery_key, card_a, "120")  # 1,200 points, and a stamp
    await earn(gql, books_key, card_a, "10")  # 20 points at a second shop
    return WalletTown(
        town, bakery, bakery_key, books, books_key, member_a, card_a, member_b, card_b, reward_id, dear_id, charity_id
    )


async def earn(gql: GraphQL, till_key: str, card: str, amount: str) -> dict[str, Any]:
    return _ok(await gql(till_key, EARN, input={"idempotencyKey": key(), "cardNumber": card, "amount": amount}),
               "earnPoints")  # fmt: skip


async def member_browser(
    client: httpx.AsyncClient, redis: Redis, member_id: uuid.UUID, coalition_id: uuid.UUID, *,
    signed_in_ago: timedelta = timedelta(0),
) -> httpx.AsyncClient:  # fmt: skip
    """A browser of its own, signed in as the member (``signed_in_ago``: how long since they proved who they are)."""
    browser = httpx.AsyncClient(transport=client._transport, base_url=str(client.base_url))
    if not signed_in_ago:
        await sign_in_member(browser, redis, member_id=member_id, coalition_id=coalition_id)
        return browser
    session_id = await member_sessions.open_session(
        redis, member_id=member_id, coalition_id=coalition_id, now=datetime.now(UTC) - signed_in_ago
    )
    browser.cookies.set(member_sessions.COOKIE_NAME, session_id)
    return browser
