"""Every till in town at once, through an API process with a small pool:
requests beyond its connections wait their turn, postings go in groups, and
each till gets its own answer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from coalition.app import create_app
from coalition.platform.ledger.tables import transactions
from coalition.platform.runtime.settings import Settings
from tests.support.graphql import EARN, REDEEM, WALLET, GraphQL, key
from tests.support.scene import Scene
from tests.support.town import Town


@pytest.fixture
async def small_api(settings: Settings) -> AsyncIterator[GraphQL]:
    """An API process with two connections and group commit on."""
    app = create_app(settings.model_copy(update={"database_pool_size": 2, "group_commit_in_flight": 1}))
    started, stop = asyncio.Event(), asyncio.Event()

    async def run_lifespan() -> None:
        async with app.lifespan():  # entered and left in one task, as anyio requires
            started.set()
            await stop.wait()

    lifespan = asyncio.create_task(run_lifespan())
    await started.wait()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://coalition.test") as http:
        yield GraphQL(http)
    stop.set()
    await lifespan


async def test_forty_tills_at_once_through_two_connections_each_get_their_own_answer(
    scene: Scene, town: Town, small_api: GraphQL
) -> None:
    members = [await town.member(scene.shop_a) for _ in range(8)]
    earns = [(card, 10 + n, key()) for n, (_, card) in enumerate(members * 3)]
    spend = [(scene.card_a, key()) for _ in range(8)]  # member A has 100 points: 8 x 10 leaves 20

    def earn(card: str, amount: int, receipt: str) -> Any:
        return small_api(
            scene.pos_a, EARN, input={"idempotencyKey": receipt, "cardNumber": card, "amount": str(amount)}
        )

    answers = await asyncio.gather(
        *(earn(card, amount, receipt) for card, amount, receipt in earns),
        *(small_api(scene.pos_a, REDEEM, input={"idempotencyKey": r, "cardNumber": c, "points": 10}) for c, r in spend),
        *(small_api(scene.pos_a, WALLET, card=card) for _, card in members),
    )

    posted = [a["data"]["earnPoints"] for a in answers[: len(earns)]]
    assert [p["errors"] for p in posted] == [[]] * len(earns)
    assert [p["transaction"]["points"] for p in posted] == [amount for _, amount, _ in earns]
    assert len({p["transaction"]["id"] for p in posted}) == len(earns)
    spent = [a["data"]["redeemPoints"] for a in answers[len(earns) : len(earns) + len(spend)]]
    assert sorted(s["wallet"]["balance"] for s in spent) == list(range(20, 100, 10))
    looked_up = answers[len(earns) + len(spend) :]
    assert all(a["data"]["member"] is not None for a in looked_up)

    # Each member's balance is the sum of their own three earns, nobody else's.
    final = await asyncio.gather(*(small_api(scene.pos_a, WALLET, card=card) for _, card in members))
    for n, answer in enumerate(final):
        assert answer["data"]["member"]["wallet"]["balance"] == sum(10 + m for m in range(n, len(earns), 8))
    async with town.engine.connect() as c:
        member_ids = [member_id for member_id, _ in members]
        assert await c.scalar(select(func.count()).where(transactions.c.member_id.in_(member_ids))) == len(earns)
    assert await town.ledger_violations() == []
