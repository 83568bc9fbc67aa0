"""The ledger's arithmetic as plain functions: which lots a redemption uses,
what a reversal gives back, what a wallet shows.

The posting functions in the database apply these same rules inside one
statement, so a posting is one round trip: ledger_redeem in
migrations/sql/003_postings.sql, ledger_reverse and ledger_consume_fifo in
004_programme.sql, ledger_wallet_figures in 007_hot_path.sql. This
module is their specification: unit tests pin the rules down, and the
property tests check that the database's postings agree with it step by step.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime

# A posting above this many points is refused as absurd.
MAX_POINTS = 100_000_000


class InsufficientPoints(Exception):
    pass


@dataclass(frozen=True)
class Lot:
    id: uuid.UUID
    points: int
    remaining: int
    available_at: datetime
    expires_at: datetime | None
    issuer: uuid.UUID | None = None

    def is_open(self, now: datetime) -> bool:
        return self.remaining > 0 and (self.expires_at is None or self.expires_at > now)

    def is_available(self, now: datetime) -> bool:
        return self.is_open(now) and self.available_at <= now


@dataclass(frozen=True)
class WalletFigures:
    balance: int
    available: int
    pending: int


def fifo_key(lot: Lot) -> tuple[bool, datetime, datetime, uuid.UUID]:
    """Soonest expiry first (never-expiring last), then oldest available, then id."""
    expires_at = lot.expires_at or lot.available_at
    return (lot.expires_at is None, expires_at, lot.available_at, lot.id)


def allocate_redemption(lots: list[Lot], points: int, now: datetime) -> list[tuple[Lot, int]]:
    """The lots a redemption consumes and how much of each, FIFO by expiry."""
    if points <= 0:
        raise ValueError("points must be positive")
    usable = sorted((lot for lot in lots if lot.is_available(now)), key=fifo_key)
    if sum(lot.remaining for lot in usable) < points:
        raise InsufficientPoints
    plan: list[tuple[Lot, int]] = []
    left = points
    for lot in usable:
        take = min(lot.remaining, left)
        plan.append((lot, take))
        left -= take
        if left == 0:
            break
    return plan


def consume(lots: dict[uuid.UUID, Lot], plan: list[tuple[Lot, int]]) -> None:
    for lot, take in plan:
        lots[lot.id] = replace(lots[lot.id], remaining=lots[lot.id].remaining - take)


def reversible(original_points: int, already_reversed: int) -> int:
    """How much of a posting is still open to reversal."""
    return abs(original_points) - already_reversed


def earn_clawback(requested: int | None, open_points: int, lot_remaining: int) -> int:
    """Points a reversed earn takes back: what was asked (default: all still
    open), but never more than is left in the earn's own lot, because points
    already spent elsewhere cannot be taken back from another shop's lot."""
    want = open_points if requested is None else requested
    if want > open_points:
        raise ValueError("more than is left to reverse")
    return min(want, lot_remaining)


def restoration_plan(consumed: list[tuple[Lot, int]], points: int) -> list[tuple[Lot, int]]:
    """Undo a redemption of ``consumed`` (in consumption order, net of earlier
    restorations) by ``points``, last-consumed lot first, so each lot gets back
    what came from it and the issuer of every point stays the same."""
    plan: list[tuple[Lot, int]] = []
    left = points
    for lot, restorable in reversed(consumed):
        if left == 0:
            break
        take = min(restorable, left)
        if take > 0:
            plan.append((lot, take))
            left -= take
    if left:
        raise ValueError("more than the redemption consumed")
    return plan


def wallet_figures(lots: list[Lot], now: datetime) -> WalletFigures:
    pending = sum(lot.remaining for lot in lots if lot.is_open(now) and lot.available_at > now)
    available = sum(lot.remaining for lot in lots if lot.is_available(now))
    return WalletFigures(balance=available + pending, available=available, pending=pending)
