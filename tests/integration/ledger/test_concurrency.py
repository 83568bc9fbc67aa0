"""What the database guarantees under racing clients."""

import asyncio
import uuid

import pytest
from sqlalchemy import func, select

from coalition.platform.errors import DomainError, ErrorCode
from coalition.platform.ledger.tables import transactions
from coalition.platform.members import service as members


async def test_fifty_redemptions_racing_for_one_wallet_never_overdraw_it(town) -> None:
    shop, _ = await town.partner(rate="1")
    other, _ = await town.partner("Other", rate="1")
    _, card = await town.member(shop)
    await town.earn(shop, card, "130")
    await town.earn(other, card, "120")  # 250 points in two lots

    async def attempt(n: int):
        try:
            return await town.redeem(shop if n % 2 else other, card, 10)
        except DomainError as refused:
            return refused.code

    results = await asyncio.gather(*(attempt(n) for n in range(50)))
    succeeded = [r for r in results if not isinstance(r, ErrorCode)]
    refused = [r for r in results if isinstance(r, ErrorCode)]
    assert len(succeeded) == 25
    assert set(refused) == {ErrorCode.INSUFFICIENT_POINTS}
    assert len({r.transaction_id for r in succeeded}) == 25
    assert min(r.balance for r in succeeded) == 0
    assert await town.ledger_violations() == []


async def test_twenty_copies_of_one_earn_post_once(town) -> None:
    shop, _ = await town.partner(rate="1")
    member_id, card = await town.member(shop)
    results = await asyncio.gather(*(town.earn(shop, card, "42", key="same-receipt") for _ in range(20)))
    assert len({r.transaction_id for r in results}) == 1
    assert sorted({r.outcome for r in results}) in (["POSTED", "REPLAYED"], ["POSTED"])
    assert sum(r.outcome == "POSTED" for r in results) == 1
    async with town.engine.connect() as c:
        count = await c.scalar(select(func.count()).where(transactions.c.member_id == member_id))
        assert count == 1
    assert results[0].balance == 42


async def test_twenty_copies_of_one_redemption_spend_once(town) -> None:
    shop, _ = await town.partner(rate="1")
    _, card = await town.member(shop)
    await town.earn(shop, card, "50")
    results = await asyncio.gather(*(town.redeem(shop, card, 30, key="one-coffee") for _ in range(20)))
    assert len({r.transaction_id for r in results}) == 1
    assert {r.points for r in results} == {-30}


async def test_a_reused_key_with_a_different_request_is_a_conflict_even_when_racing(town) -> None:
    shop, _ = await town.partner(rate="1")
    _, card = await town.member(shop)

    async def attempt(amount: str):
        try:
            return await town.earn(shop, card, amount, key="shared")
        except DomainError as refused:
            return refused.code

    results = await asyncio.gather(*(attempt(str(10 + n)) for n in range(10)))
    posted = [r for r in results if not isinstance(r, ErrorCode)]
    assert len(posted) == 1
    assert [r for r in results if isinstance(r, ErrorCode)] == [ErrorCode.IDEMPOTENCY_CONFLICT] * 9


async def test_duplicate_enrolments_racing_enrol_one_member(town) -> None:
    shop, _ = await town.partner()

    async def enrol():
        async with town.sessions.begin() as session:
            return await members.enrol(
                session,
                coalition_id=town.coalition_id,
                scope_id=shop,
                partner_id=shop,
                request=members.Enrolment("enrol-once", None, "ana@example.org", None, None),
            )

    results = await asyncio.gather(*(enrol() for _ in range(10)))
    assert len({m.id for m in results}) == 1


@pytest.mark.parametrize("copies", [5])
async def test_duplicate_reversals_reverse_once(town, copies: int) -> None:
    shop, _ = await town.partner(rate="1")
    _, card = await town.member(shop)
    earned = await town.earn(shop, card, "40")
    key = uuid.uuid4().hex
    results = await asyncio.gather(
        *(
            town.ledger.reverse(
                town.coalition_id,
                shop,
                idempotency_key=key,
                transaction_id=earned.transaction_id,
                points=15,
                reason="returned",
            )
            for _ in range(copies)
        )
    )
    assert len({r.transaction_id for r in results}) == 1
    assert results[-1].balance == 25
