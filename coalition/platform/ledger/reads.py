"""What the API reads from the ledger: transactions, wallets, points about to expire."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from coalition.platform.ledger import repository
from coalition.platform.ledger.repository import Posting as Posting
from coalition.platform.ledger.repository import TransactionRecord as TransactionRecord
from coalition.platform.runtime.database import Executor

# How far ahead a wallet warns of points about to expire.
EXPIRING_SOON = timedelta(days=30)


async def transactions_by_id(connection: Executor, ids: list[uuid.UUID]) -> dict[uuid.UUID, TransactionRecord]:
    return {record.id: record for record in await repository.transactions_by_ids(connection, ids)}


async def wallet_figures(connection: Executor, member_ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[int, int, int]]:
    """(balance, available, pending) per member."""
    return await repository.wallet_figures(connection, member_ids)


async def expiring_soon(
    connection: Executor, member_ids: list[uuid.UUID], now: datetime | None = None
) -> dict[uuid.UUID, list[tuple[int, datetime]]]:
    """Per member, (points, expiry) of the lots expiring within ``EXPIRING_SOON``, soonest first."""
    start = now or datetime.now(UTC)
    return await repository.expiring_lots(connection, member_ids, start, start + EXPIRING_SOON)


async def pending_points(
    connection: Executor, member_ids: list[uuid.UUID], now: datetime | None = None
) -> dict[uuid.UUID, list[tuple[int, datetime]]]:
    """Per member, (points, when they become spendable) of the points still in their return window."""
    return await repository.pending_lots(connection, member_ids, now or datetime.now(UTC))


async def member_transactions(
    connection: Executor,
    member_id: uuid.UUID,
    *,
    partner_id: uuid.UUID | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[TransactionRecord]:
    """A member's transactions newest first, only those at ``partner_id`` when given,
    after the keyset position ``after`` (created_at, id)."""
    return await repository.transaction_page(
        connection, member_id=member_id, partner_id=partner_id, after=after, limit=limit
    )
