"""Calling the GraphQL API as a client would, and the documents many tests send."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

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


def key() -> str:
    """A fresh idempotency key."""
    return uuid.uuid4().hex


class GraphQL:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def __call__(self, token: str | None, query: str, **variables: Any) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await self.client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
        body: dict[str, Any] = response.json()
        body["_status"] = response.status_code
        return body
