"""Tills as the fault tests run them: each posts earns and redemptions one
after another and, like a real till, retries a request that got no clear
answer with the same idempotency key until it is acknowledged. What each
till saw acknowledged is what the ledger must hold, exactly once."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

EARN = """mutation($input: EarnPointsInput!) { earnPoints(input: $input) {
  transaction { id } errors { code message } } }"""
REDEEM = """mutation($input: RedeemPointsInput!) { redeemPoints(input: $input) {
  transaction { id } errors { code message } } }"""


@dataclass
class Answer:
    """One attempt as the till saw it."""

    status: int | None  # None: no HTTP answer (refused, reset, timed out)
    seconds: float
    detail: str


@dataclass
class Tills:
    """``count`` tills of one shop posting for ``cards`` against ``base_url()``
    (a callable: the API's address may change when it is restarted)."""

    base_url: Callable[[], str]
    token: str
    cards: list[str]
    count: int = 4
    request_timeout: float = 10.0
    acknowledged: dict[str, str] = field(default_factory=dict)  # idempotency key -> transaction id
    kinds: dict[str, str] = field(default_factory=dict)  # idempotency key -> EARN | REDEEM
    attempts: list[Answer] = field(default_factory=list)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def run_until_stopped(self) -> None:
        await asyncio.gather(*(self._till(number) for number in range(self.count)))

    def stop(self) -> None:
        """Each till finishes the request it is on (until acknowledged) and stops."""
        self._stop.set()

    async def _till(self, number: int) -> None:
        async with httpx.AsyncClient(timeout=self.request_timeout) as http:
            n = 0
            while not self._stop.is_set():
                key = f"till{number}-{n}"
                card = self.cards[(number * 7 + n) % len(self.cards)]
                # One redemption in five, of points the member surely has (every card starts with a balance).
                variables: dict[str, object]
                if n % 5 == 4:
                    query, operation, variables = REDEEM, "redeemPoints", {"points": 1}
                else:
                    query, operation, variables = EARN, "earnPoints", {"amount": "7.50"}
                self.kinds[key] = "REDEEM" if operation == "redeemPoints" else "EARN"
                body: dict[str, object] = {
                    "query": query,
                    "variables": {"input": {"idempotencyKey": key, "cardNumber": card, **variables}},
                }
                self.acknowledged[key] = await self._until_acknowledged(http, body, operation)
                n += 1

    async def _until_acknowledged(self, http: httpx.AsyncClient, body: dict[str, object], operation: str) -> str:
        while True:
            began = time.monotonic()
            try:
                answer = await http.post(
                    f"{self.base_url()}/graphql", json=body, headers={"Authorization": f"Bearer {self.token}"}
                )
            except httpx.HTTPError as error:
                self.attempts.append(Answer(None, time.monotonic() - began, type(error).__name__))
                await asyncio.sleep(0.2)
                continue
            self.attempts.append(Answer(answer.status_code, time.monotonic() - began, answer.text[:200]))
            if answer.status_code == 200:
                data = (answer.json().get("data") or {}).get(operation) or {}
                if data.get("transaction"):
                    return str(data["transaction"]["id"])
                if data.get("errors"):
                    raise AssertionError(f"the API refused a sound request: {data['errors']}")
            await asyncio.sleep(0.2)
