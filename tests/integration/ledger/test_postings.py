"""Earn, redeem and reverse through the ledger service against real PostgreSQL."""

import uuid

import pytest
from sqlalchemy import select, text

from coalition.platform.errors import DomainError, ErrorCode
from coalition.platform.ledger.tables import lot_consumptions, lots


async def consumptions(town, transaction_id):
    async with town.engine.connect() as c:
        rows = await c.execute(
            select(lot_consumptions.c.issuer_partner_id, lot_consumptions.c.kind, lot_consumptions.c.points)
            .where(lot_consumptions.c.transaction_id == transaction_id)
            .order_by(lot_consumptions.c.points.desc())
        )
        return [tuple(r) for r in rows]


async def test_points_earned_at_one_shop_are_spent_at_another(town) -> None:
    bakery, _ = await town.partner("Bakery", "2")
    books, _ = await town.partner("Books", "1")
    _, card = await town.member(bakery)

    earned = await town.earn(bakery, card, "20.55")
    assert (earned.outcome, earned.kind, earned.points) == ("POSTED", "EARN", 41)
    assert earned.explanation == ["Base rate 2 per 1 EUR on 20.55 EUR: 41 points"]
    assert (earned.balance, earned.available, earned.pending) == (41, 41, 0)

    spent = await town.redeem(books, card, 30)
    assert (spent.kind, spent.points, spent.balance, spent.available) == ("REDEEM", -30, 11, 11)
    # Settlement reads this: the bakery's points were spent at the bookshop.
    assert await consumptions(town, spent.transaction_id) == [(bakery, "REDEEM", 30)]
    assert await town.ledger_violations() == []


async def _a_spend_across_two_lots(town):
    """Shops A and B; A's member earns 10 at A, then 10 at B, then spends 15 at B."""
    a, _ = await town.partner("A")
    b, _ = await town.partner("B")
    _, card = await town.member(a)
    await town.earn(a, card, "10")
    await town.earn(b, card, "10")
    return a, b, await town.redeem(b, card, 15)


async def test_redemption_spans_lots_fifo_by_expiry_and_keeps_issuers(town) -> None:
    a, b, spent = await _a_spend_across_two_lots(town)
    assert await consumptions(town, spent.transaction_id) == [(a, "REDEEM", 10), (b, "REDEEM", 5)]


async def test_not_enough_points_changes_nothing(town) -> None:
    shop, _ = await town.partner()
    _, card = await town.member(shop)
    await town.earn(shop, card, "10")
    with pytest.raises(DomainError) as refused:
        await town.redeem(shop, card, 11, key="too-much")
    assert refused.value.code == ErrorCode.INSUFFICIENT_POINTS
    # The key was not burnt: the same key may be used once the member has the points.
    await town.earn(shop, card, "1")
    assert (await town.redeem(shop, card, 11, key="too-much")).balance == 0


async def test_reversed_earn_takes_back_what_is_left(town) -> None:
    a, _ = await town.partner("A")
    b, _ = await town.partner("B")
    _, card = await town.member(a)
    earned = await town.earn(a, card, "100")
    await town.redeem(b, card, 70)

    partial = await town.reverse(a, earned.transaction_id, 20)
    assert (partial.kind, partial.points, partial.reverses_id, partial.balance) == (
        "REVERSAL",
        -20,
        earned.transaction_id,
        10,
    )
    rest = await town.reverse(a, earned.transaction_id)  # "all that is left": only 10 are still in the lot
    assert (rest.points, rest.balance) == (-10, 0)
    with pytest.raises(DomainError) as refused:
        await town.reverse(a, earned.transaction_id)
    assert refused.value.code == ErrorCode.INSUFFICIENT_POINTS
    with pytest.raises(DomainError) as refused:
        await town.reverse(a, earned.transaction_id, 71)
    assert refused.value.code == ErrorCode.ALREADY_REVERSED


async def test_reversed_redemption_restores_the_lots_it_used(town) -> None:
    a, b, spent = await _a_spend_across_two_lots(town)

    first = await town.reverse(b, spent.transaction_id, 4)
    assert (first.points, first.balance) == (4, 9)
    assert await consumptions(town, first.transaction_id) == [(b, "RESTORE", 4)]
    second = await town.reverse(b, spent.transaction_id)
    assert (second.points, second.balance) == (11, 20)
    assert await consumptions(town, second.transaction_id) == [(a, "RESTORE", 10), (b, "RESTORE", 1)]
    with pytest.raises(DomainError) as refused:
        await town.reverse(b, spent.transaction_id, 1)
    assert refused.value.code == ErrorCode.ALREADY_REVERSED
    async with town.engine.connect() as c:
        remaining = (await c.execute(select(lots.c.remaining).where(lots.c.member_id == first.member_id))).scalars()
        assert sorted(remaining) == [10, 10]
    assert await town.ledger_violations() == []


async def test_a_partner_cannot_reverse_another_partners_posting(town) -> None:
    a, _ = await town.partner("A")
    b, _ = await town.partner("B")
    _, card = await town.member(a)
    earned = await town.earn(a, card, "10")
    with pytest.raises(DomainError) as refused:
        await town.reverse(b, earned.transaction_id)
    assert refused.value.code == ErrorCode.NOT_FOUND
    # The operator may.
    assert (await town.reverse(None, earned.transaction_id)).points == -10


async def test_a_reversal_cannot_itself_be_reversed(town) -> None:
    shop, _ = await town.partner()
    _, card = await town.member(shop)
    earned = await town.earn(shop, card, "10")
    reversal = await town.reverse(shop, earned.transaction_id, 5)
    with pytest.raises(DomainError) as refused:
        await town.reverse(shop, reversal.transaction_id)
    assert refused.value.code == ErrorCode.VALIDATION


async def test_pending_points_wait_for_the_return_window(engine, ledger, till_setups) -> None:
    from tests.support.town import Town

    town = await Town(engine, ledger, till_setups).create(pending_days=14)
    shop, _ = await town.partner()
    _, card = await town.member(shop)
    earned = await town.earn(shop, card, "50")
    assert (earned.balance, earned.available, earned.pending) == (50, 0, 50)
    with pytest.raises(DomainError) as refused:
        await town.redeem(shop, card, 1)
    assert refused.value.code == ErrorCode.INSUFFICIENT_POINTS
    # Within the return window the shop can still take the points back.
    assert (await town.reverse(shop, earned.transaction_id)).balance == 0


async def test_expired_lots_are_never_spent(town) -> None:
    shop, _ = await town.partner()
    member_id, card = await town.member(shop)
    await town.earn(shop, card, "30")
    await town.earn(shop, card, "20")
    async with town.engine.begin() as c:
        # Let the first lot reach its expiry moment, as time would.
        await c.execute(text("ALTER TABLE lots DISABLE TRIGGER lots_derived"))
        await c.execute(
            text("UPDATE lots SET expires_at = now() WHERE member_id = :m AND points = 30"),
            {"m": member_id},
        )
        await c.execute(text("ALTER TABLE lots ENABLE TRIGGER lots_derived"))
    with pytest.raises(DomainError) as refused:
        await town.redeem(shop, card, 21)
    assert refused.value.code == ErrorCode.INSUFFICIENT_POINTS
    spent = await town.redeem(shop, card, 20)
    assert (spent.balance, spent.available) == (0, 0)


async def test_suspended_partner_and_blocked_member_cannot_post(town) -> None:
    from coalition.partners import lifecycle

    shop, _ = await town.partner()
    member_id, card = await town.member(shop)
    async with town.sessions.begin() as session:
        await lifecycle.set_status(session, town.operator, shop, "SUSPENDED", "audit")
    with pytest.raises(DomainError) as refused:
        await town.earn(shop, card, "10")
    assert refused.value.code == ErrorCode.PARTNER_NOT_ACTIVE

    other, _ = await town.partner("Other")
    async with town.engine.begin() as c:
        await c.execute(text("UPDATE members SET status = 'BLOCKED' WHERE id = :m"), {"m": member_id})
    with pytest.raises(DomainError) as refused:
        await town.earn(other, card, "10")
    assert refused.value.code == ErrorCode.MEMBER_BLOCKED  # its own code: the till can say why
    async with town.engine.begin() as c:
        await c.execute(text("UPDATE members SET status = 'ERASED' WHERE id = :m"), {"m": member_id})
    with pytest.raises(DomainError) as refused:
        await town.earn(other, card, "10")
    assert refused.value.code == ErrorCode.MEMBER_NOT_ELIGIBLE


async def test_unknown_card_and_unknown_transaction(town) -> None:
    shop, _ = await town.partner()
    with pytest.raises(DomainError) as refused:
        await town.earn(shop, "0000000000", "10")
    assert refused.value.code == ErrorCode.NOT_FOUND
    with pytest.raises(DomainError) as refused:
        await town.reverse(shop, uuid.uuid4())
    assert refused.value.code == ErrorCode.NOT_FOUND


async def test_a_purchase_too_small_to_earn_is_still_recorded_and_explained(town) -> None:
    shop, _ = await town.partner(rate="1")
    member_id, card = await town.member(shop)
    earned = await town.earn(shop, card, "0.99")
    assert (earned.outcome, earned.kind, earned.points, earned.purchase_minor) == ("POSTED", "EARN", 0, 99)
    assert earned.explanation == ["Base rate 1 per 1 EUR on 0.99 EUR: 0 points"]
    async with town.engine.connect() as c:
        assert (await c.execute(select(lots).where(lots.c.member_id == member_id))).first() is None
    assert await town.ledger_violations() == []
    with pytest.raises(DomainError) as refused:
        await town.reverse(shop, earned.transaction_id)
    assert refused.value.code == ErrorCode.ALREADY_REVERSED  # nothing to take back
