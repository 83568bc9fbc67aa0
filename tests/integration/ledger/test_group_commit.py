"""Group commit: earns that arrive together are posted in one transaction,
and each keeps its own outcome.

The gateway here has one posting slot, so the first earn of a burst goes
alone and everything that arrives while it is on its way goes in the next
batch, every time."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from coalition.partners.earning.till import TillSetups
from coalition.platform.errors import DomainError, ErrorCode
from coalition.platform.ledger.group_commit import MAX_BATCH, GroupCommit
from coalition.platform.ledger.repository import PostingGateway
from coalition.platform.ledger.service import LedgerService
from coalition.platform.ledger.tables import idempotency_keys, transactions, wallets
from tests.support.town import Town


@pytest.fixture
async def batching(engine: AsyncEngine) -> tuple[Town, PostingGateway]:
    gateway = PostingGateway(engine, max_batch=MAX_BATCH, in_flight=1)
    # Shops' rules cached for the whole test, so a burst reaches the gateway
    # in one go (see warm_up).
    town = await Town(engine, LedgerService(gateway), TillSetups(engine, ttl=600)).create()
    return town, gateway


async def warm_up(town: Town, *shops: uuid.UUID) -> None:
    """Loads the shops' rules into the cache before a burst."""
    for shop in shops:
        await town.setups.get(shop)


async def _cached_shop_with_members(town: Town, count: int) -> tuple[uuid.UUID, list[tuple[uuid.UUID, str]]]:
    """An active shop and `count` of its members, the shop's rules already cached."""
    shop, _ = await town.partner(rate="1")
    members = [await town.member(shop) for _ in range(count)]
    await warm_up(town, shop)
    return shop, members


async def _outcome(call: Any) -> Any:
    try:
        return await call
    except DomainError as refused:
        return refused.code


async def test_a_burst_of_earns_goes_in_one_transaction_and_each_gets_its_own_posting(batching) -> None:
    town, gateway = batching
    shop, members = await _cached_shop_with_members(town, 12)
    before = gateway.till_postings.batched_requests

    results = await asyncio.gather(*(town.earn(shop, card, str(10 + n)) for n, (_, card) in enumerate(members)))

    assert gateway.till_postings.batched_requests - before == 11  # all but the first, which found the slot free
    for n, ((member_id, _), posting) in enumerate(zip(members, results, strict=True)):
        assert posting.outcome == "POSTED"
        assert posting.member_id == member_id
        assert posting.points == 10 + n
        assert posting.balance == 10 + n
    assert len({p.transaction_id for p in results}) == 12
    async with town.engine.connect() as c:
        balances = dict((await c.execute(select(wallets.c.member_id, wallets.c.balance))).all())
    assert await town.ledger_violations() == []
    assert all(balances[member_id] == 10 + n for n, (member_id, _) in enumerate(members))


async def test_copies_of_one_earn_in_one_batch_post_once_and_replay(batching) -> None:
    town, gateway = batching
    shop, [(_, other_card), (member_id, card)] = await _cached_shop_with_members(town, 2)
    before = gateway.till_postings.batches

    # The first earn takes the slot; the six copies queue behind it together.
    results = await asyncio.gather(
        town.earn(shop, other_card, "5"), *(town.earn(shop, card, "42", key="till-7-receipt-1") for _ in range(6))
    )

    assert gateway.till_postings.batches - before == 1
    copies = results[1:]
    assert sorted(r.outcome for r in copies) == ["POSTED"] + ["REPLAYED"] * 5
    assert len({r.transaction_id for r in copies}) == 1
    assert {r.balance for r in copies} == {42}
    async with town.engine.connect() as c:
        count = await c.scalar(select(func.count()).where(transactions.c.member_id == member_id))
    assert count == 1


async def test_a_reused_key_in_one_batch_is_a_conflict_for_the_others_only(batching) -> None:
    town, _ = batching
    shop, [(_, first_card), (_, card)] = await _cached_shop_with_members(town, 2)

    results = await asyncio.gather(
        _outcome(town.earn(shop, first_card, "1")),
        *(_outcome(town.earn(shop, card, str(10 + n), key="shared")) for n in range(4)),
    )

    posted = [r for r in results[1:] if not isinstance(r, ErrorCode)]
    assert len(posted) == 1
    assert posted[0].outcome == "POSTED"
    assert posted[0].balance == posted[0].points
    assert [r for r in results[1:] if isinstance(r, ErrorCode)] == [ErrorCode.IDEMPOTENCY_CONFLICT] * 3


async def test_refusals_in_a_batch_are_each_requests_own(batching) -> None:
    town, _ = batching
    shop, _ = await town.partner(rate="1")
    closed, _ = await town.partner("Closed", rate="1", active=False)
    members = [await town.member(shop) for _ in range(3)]
    await warm_up(town, shop, closed)

    results = await asyncio.gather(
        _outcome(town.earn(shop, members[0][1], "1")),
        _outcome(town.earn(shop, members[1][1], "20")),
        _outcome(town.earn(shop, "NO-SUCH-CARD", "20")),
        _outcome(town.earn(closed, members[2][1], "20")),
        _outcome(town.earn(shop, members[2][1], "30")),
    )

    assert results[1].outcome == "POSTED"
    assert results[1].balance == 20
    assert results[2] == ErrorCode.NOT_FOUND
    assert results[3] == ErrorCode.PARTNER_NOT_ACTIVE
    assert results[4].outcome == "POSTED"
    assert results[4].balance == 30


async def test_a_request_that_fails_in_the_database_fails_alone(batching) -> None:
    """One earn of the batch breaks a rule the database enforces (points
    credited to a funder with no account): it gets its own error, the others
    are posted, and nothing of it is left behind, not even its key."""
    town, gateway = batching
    shop, _ = await town.partner(rate="1")
    members = [await town.member(shop) for _ in range(4)]

    def params(card: str, key: str, funder: uuid.UUID) -> dict[str, Any]:
        return {
            "kind": "EARN", "partner_id": shop, "key": key, "hash": key, "card": card, "purchase_minor": 1000,
            "explanation": ["test"], "receipt_ref": None, "occurred_at": None,
            "awards": [{"funder": str(funder), "points": 10}], "expected_seq": None, "effects": None,
        }  # fmt: skip

    broken_key = f"broken-{uuid.uuid4().hex}"
    requests = [
        params(members[0][1], uuid.uuid4().hex, shop),
        params(members[1][1], uuid.uuid4().hex, shop),
        params(members[2][1], broken_key, uuid.uuid4()),
        params(members[3][1], uuid.uuid4().hex, shop),
    ]
    before = gateway.till_postings.batches
    results = await asyncio.gather(*(gateway.till_postings.post(r) for r in requests), return_exceptions=True)

    assert gateway.till_postings.batches - before == 1
    assert isinstance(results[2], DBAPIError)
    for n in (0, 1, 3):
        assert not isinstance(results[n], BaseException)
        assert results[n]["outcome"] == "POSTED"
        assert results[n]["member_id"] == members[n][0]
        assert results[n]["balance"] == 10
    async with town.engine.connect() as c:
        assert await c.scalar(select(func.count()).where(idempotency_keys.c.key == broken_key)) == 0
        assert await c.scalar(select(func.count()).where(transactions.c.member_id == members[2][0])) == 0
    assert await town.ledger_violations() == []


async def test_many_tills_racing_with_batching_keep_the_ledger_sound(batching) -> None:
    """Forty tills, ten members, every earn sent twice (a till's retry):
    each purchase is posted exactly once, whatever batch it lands in."""
    town, gateway = batching
    shop, _ = await town.partner(rate="1")
    other, _ = await town.partner("Other", rate="2")
    members = [await town.member(shop) for _ in range(10)]
    await warm_up(town, shop, other)
    purchases = [(shop if n % 2 else other, members[n % 10][1], Decimal(n + 1), f"r-{n}") for n in range(40)]
    before = gateway.till_postings.batches

    results = await asyncio.gather(
        *(town.earn(s, card, str(amount), key=key) for s, card, amount, key in purchases for _ in range(2))
    )

    assert gateway.till_postings.batches > before
    assert sum(r.outcome == "POSTED" for r in results) == 40
    assert len({r.transaction_id for r in results}) == 40
    assert await town.ledger_violations() == []
    async with town.engine.connect() as c:
        total = await c.scalar(
            select(func.sum(wallets.c.balance)).where(wallets.c.member_id.in_([m for m, _ in members]))
        )
    expected = sum(int(amount) * (1 if s == shop else 2) for s, _, amount, _ in purchases)
    assert total == expected


def test_batches_are_kept_small_enough_for_the_subtransaction_cache() -> None:
    with pytest.raises(ValueError, match="max_batch"):
        GroupCommit.__new__(GroupCommit).__init__(None, None, max_batch=MAX_BATCH + 1)  # type: ignore[arg-type]


async def test_redemptions_racing_in_batches_never_overdraw_and_mix_with_earns(batching) -> None:
    town, gateway = batching
    shop, _ = await town.partner(rate="1")
    _, card = await town.member(shop)
    _, newcomer = await town.member(shop)
    await town.earn(shop, card, "250")
    await warm_up(town, shop)
    before = gateway.till_postings.batches

    results = await asyncio.gather(
        *(_outcome(town.redeem(shop, card, 10)) for _ in range(30)),
        *(_outcome(town.earn(shop, newcomer, "7")) for _ in range(5)),
    )

    assert gateway.till_postings.batches > before
    spent = [r for r in results[:30] if not isinstance(r, ErrorCode)]
    assert len(spent) == 25
    assert [r for r in results[:30] if isinstance(r, ErrorCode)] == [ErrorCode.INSUFFICIENT_POINTS] * 5
    assert sorted(r.balance for r in spent) == list(range(0, 250, 10))
    assert [r.outcome for r in results[30:]] == ["POSTED"] * 5
    assert await town.ledger_violations() == []
