import uuid
from datetime import UTC, datetime, timedelta

import pytest

from coalition.platform.ledger.rules import (
    InsufficientPoints,
    Lot,
    allocate_redemption,
    earn_clawback,
    restoration_plan,
    reversible,
    wallet_figures,
)

NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)


def lot(points: int, *, expires_in: int | None = 30, available_in: int = -1, remaining: int | None = None) -> Lot:
    return Lot(
        id=uuid.uuid4(),
        points=points,
        remaining=points if remaining is None else remaining,
        available_at=NOW + timedelta(days=available_in),
        expires_at=None if expires_in is None else NOW + timedelta(days=expires_in),
    )


def test_redemption_takes_the_soonest_expiring_lot_first() -> None:
    late, soon, never = lot(100, expires_in=90), lot(100, expires_in=10), lot(100, expires_in=None)
    plan = allocate_redemption([late, never, soon], 150, NOW)
    assert [(p.id, take) for p, take in plan] == [(soon.id, 100), (late.id, 50)]


def test_lots_that_never_expire_are_used_last() -> None:
    never, expiring = lot(100, expires_in=None), lot(10, expires_in=300)
    plan = allocate_redemption([never, expiring], 50, NOW)
    assert [(p.id, take) for p, take in plan] == [(expiring.id, 10), (never.id, 40)]


def test_equal_expiry_falls_back_to_oldest_available_then_id() -> None:
    a = lot(10, available_in=-5)
    b = Lot(uuid.uuid4(), 10, 10, NOW - timedelta(days=9), a.expires_at)
    plan = allocate_redemption([a, b], 15, NOW)
    assert [p.id for p, _ in plan] == [b.id, a.id]


def test_pending_and_expired_lots_are_not_spendable() -> None:
    pending, expired, good = lot(100, available_in=2), lot(100, expires_in=0), lot(20)
    with pytest.raises(InsufficientPoints):
        allocate_redemption([pending, expired, good], 21, NOW)
    assert allocate_redemption([pending, expired, good], 20, NOW) == [(good, 20)]


def test_a_lot_expires_exactly_at_its_expiry_moment() -> None:
    edge = lot(10, expires_in=0)
    assert edge.expires_at == NOW
    assert not edge.is_available(NOW)
    assert edge.is_available(NOW - timedelta(microseconds=1))


def test_redemption_of_nothing_is_refused() -> None:
    with pytest.raises(ValueError, match="positive"):
        allocate_redemption([lot(10)], 0, NOW)


def test_wallet_figures_split_available_and_pending_and_drop_expired() -> None:
    figures = wallet_figures([lot(100), lot(30, available_in=3), lot(50, expires_in=-1)], NOW)
    assert (figures.balance, figures.available, figures.pending) == (130, 100, 30)


def test_reversible_counts_what_is_left() -> None:
    assert reversible(-100, 30) == 70
    assert reversible(100, 100) == 0


def test_earn_clawback_takes_what_is_left_in_the_lot() -> None:
    assert earn_clawback(None, open_points=100, lot_remaining=100) == 100
    assert earn_clawback(None, open_points=100, lot_remaining=40) == 40
    assert earn_clawback(30, open_points=100, lot_remaining=40) == 30
    assert earn_clawback(30, open_points=100, lot_remaining=0) == 0
    with pytest.raises(ValueError, match="more than is left"):
        earn_clawback(101, open_points=100, lot_remaining=100)


def test_restoration_gives_back_last_consumed_lot_first() -> None:
    first, second = lot(100), lot(100)
    consumed = [(first, 100), (second, 20)]
    assert restoration_plan(consumed, 50) == [(second, 20), (first, 30)]
    assert restoration_plan(consumed, 120) == [(second, 20), (first, 100)]
    with pytest.raises(ValueError, match="more than"):
        restoration_plan(consumed, 121)
