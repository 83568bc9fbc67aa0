"""Every earn keeps its receipt and basket lines, written by the posting
itself: once, however often the till replays it, and never for a refusal."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from coalition.insights.tables import purchase_lines, purchases
from coalition.partners.earning.till import BasketLine, TillSetups, earn_points
from coalition.platform.errors import DomainError, ErrorCode
from coalition.platform.ledger.group_commit import MAX_BATCH
from coalition.platform.ledger.repository import PostingGateway
from coalition.platform.ledger.service import LedgerService
from tests.support.town import Town

BASKET = [
    BasketLine("BREAD-1", "bakery", 2, Decimal("1.25")),
    BasketLine("MILK-2", None, 1, Decimal("0.99")),
]


async def _earn(town: Town, shop: uuid.UUID, card: str, key: str, **overrides: Any) -> Any:
    request: dict[str, Any] = {
        "idempotency_key": key,
        "card_number": card,
        "amount": Decimal("3.49"),
        "receipt_ref": "R-100",
        "lines": BASKET,
        "occurred_at": datetime(2026, 11, 30, 23, 30, tzinfo=UTC),
    } | overrides
    return await earn_points(town.ledger, town.setups, shop, **request)


async def _kept(engine: AsyncEngine, member_id: uuid.UUID) -> tuple[list[Any], list[Any]]:
    async with engine.connect() as connection:
        receipts = (await connection.execute(select(purchases).where(purchases.c.member_id == member_id))).all()
        lines = (
            await connection.execute(
                select(purchase_lines).where(purchase_lines.c.member_id == member_id).order_by(purchase_lines.c.line_no)
            )
        ).all()
    return list(receipts), list(lines)


async def test_an_earn_keeps_its_receipt_and_lines_with_its_transaction(town: Town) -> None:
    shop, _ = await town.partner()
    member_id, card = await town.member(shop)

    posting = await _earn(town, shop, card, "k-1")

    receipts, lines = await _kept(town.engine, member_id)
    assert len(receipts) == 1
    receipt = receipts[0]
    assert (receipt.source, receipt.transaction_id, receipt.partner_id) == ("TILL", posting.transaction_id, shop)
    assert (receipt.coalition_id, receipt.receipt_ref, receipt.total_minor) == (town.coalition_id, "R-100", 349)
    assert receipt.occurred_at == datetime(2026, 11, 30, 23, 30, tzinfo=UTC)
    # 23:30 UTC is already the next day in Amsterdam, the coalition's time zone.
    assert receipt.local_date == date(2026, 12, 1)
    assert [(x.line_no, x.sku, x.category, x.quantity, x.amount_minor) for x in lines] == [
        (1, "BREAD-1", "bakery", Decimal(2), 250),
        (2, "MILK-2", None, Decimal(1), 99),
    ]
    assert all(x.purchase_id == receipt.id for x in lines)


async def test_an_earn_without_a_basket_keeps_its_receipt_and_the_posting_time(town: Town) -> None:
    shop, _ = await town.partner()
    member_id, card = await town.member(shop)

    posting = await town.earn(shop, card, "12.00")

    receipts, lines = await _kept(town.engine, member_id)
    assert [(r.transaction_id, r.total_minor, r.receipt_ref) for r in receipts] == [
        (posting.transaction_id, 1200, None)
    ]
    assert receipts[0].occurred_at == posting.created_at
    assert lines == []


async def test_a_replayed_earn_keeps_nothing_twice(town: Town) -> None:
    shop, _ = await town.partner()
    member_id, card = await town.member(shop)

    first = await _earn(town, shop, card, "same-key")
    again = await _earn(town, shop, card, "same-key")

    assert again.outcome == "REPLAYED"
    assert again.transaction_id == first.transaction_id
    receipts, lines = await _kept(town.engine, member_id)
    assert len(receipts) == 1
    assert len(lines) == 2


async def test_a_refused_earn_keeps_nothing(town: Town) -> None:
    shop, _ = await town.partner()
    member_id, card = await town.member(shop)
    await _earn(town, shop, card, "used")

    with pytest.raises(DomainError) as conflict:
        await _earn(town, shop, card, "used", amount=Decimal("5.00"), lines=None)
    closed, _ = await town.partner("Closed", active=False)
    with pytest.raises(DomainError) as inactive:
        await _earn(town, closed, card, "other-shop")

    assert conflict.value.code == ErrorCode.IDEMPOTENCY_CONFLICT
    assert inactive.value.code == ErrorCode.PARTNER_NOT_ACTIVE
    receipts, lines = await _kept(town.engine, member_id)
    assert len(receipts) == 1
    assert len(lines) == 2


async def test_earns_posted_together_under_group_commit_each_keep_their_own_basket(engine: AsyncEngine) -> None:
    gateway = PostingGateway(engine, max_batch=MAX_BATCH, in_flight=1)
    town = await Town(engine, LedgerService(gateway), TillSetups(engine, ttl=600)).create()
    shop, _ = await town.partner()
    members = [await town.member(shop) for _ in range(8)]
    await town.setups.get(shop)
    before = gateway.till_postings.batched_requests

    postings = await asyncio.gather(
        *(
            _earn(
                town,
                shop,
                card,
                f"burst-{n}",
                receipt_ref=f"R-{n}",
                amount=Decimal("10.00"),  # the lines may not add up to more than the amount
                lines=[BasketLine(f"SKU-{n}", "x", n + 1, Decimal("1"))],
            )
            for n, (_, card) in enumerate(members)
        )
    )

    assert gateway.till_postings.batched_requests - before == 7
    for n, ((member_id, _), posting) in enumerate(zip(members, postings, strict=True)):
        receipts, lines = await _kept(engine, member_id)
        assert [(r.transaction_id, r.receipt_ref) for r in receipts] == [(posting.transaction_id, f"R-{n}")]
        assert [(x.sku, x.amount_minor) for x in lines] == [(f"SKU-{n}", (n + 1) * 100)]
