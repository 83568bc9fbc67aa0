"""Ledger queries. Postings call the database's posting functions: one
statement, committed on its own, so one round trip each (and the tills'
postings arriving together share one, see group_commit)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, func, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncEngine

from coalition.platform.ledger.group_commit import MAX_BATCH, GroupCommit
from coalition.platform.ledger.tables import lots, transactions, wallets
from coalition.platform.runtime.database import Executor


@dataclass(frozen=True)
class Posting:
    outcome: str
    transaction_id: uuid.UUID | None
    member_id: uuid.UUID | None
    kind: str | None
    points: int | None
    partner_id: uuid.UUID | None
    business_date: date | None
    created_at: datetime | None
    purchase_minor: int | None
    reverses_id: uuid.UUID | None
    explanation: list[str] | None
    balance: int | None
    available: int | None
    pending: int | None


_EARN = text(
    "SELECT * FROM ledger_earn(:partner_id, :key, :hash, :card, :purchase_minor,"
    " CAST(:explanation AS text[]), :receipt_ref, :occurred_at, CAST(:awards AS jsonb), :expected_seq,"
    " CAST(:effects AS jsonb), CAST(:basket AS jsonb))"
)
_DONATE = text("SELECT * FROM ledger_donate(:member_id, :key, :hash, :charity_id, :points, :match)")
_TRANSFER = text("SELECT * FROM ledger_transfer(:member_id, :key, :hash, :to_card, :points, :max_per_day)")
_REDEEM = text("SELECT * FROM ledger_redeem(:partner_id, :key, :hash, :card, :points, :receipt_ref)")
_ADJUST = text("SELECT * FROM ledger_adjust(:coalition_id, :member_id, :key, :hash, :points, :reason)")
_REVERSE = text(
    "SELECT * FROM ledger_reverse(:coalition_id, :partner_id, :key, :hash, :transaction_id, :points, :reason)"
)


class PostingGateway:
    """Runs postings outside any session: each is its own transaction, and
    the tills' earns and redemptions arriving together share one through
    group commit."""

    def __init__(self, engine: AsyncEngine, *, max_batch: int = MAX_BATCH, in_flight: int = 2) -> None:
        self._engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self.till_postings = GroupCommit(engine, self._post_alone, max_batch=max_batch, in_flight=in_flight)

    async def _call(self, statement: Any, params: dict[str, Any]) -> Posting:
        async with self._engine.connect() as connection:
            row = (await connection.execute(statement, params)).one()
        return Posting(**row._mapping)

    async def _post_alone(self, request: dict[str, Any]) -> dict[str, Any]:
        params = {k: v for k, v in request.items() if k != "kind"}
        if request["kind"] == "EARN":
            statement, params = _EARN, _earn_statement_params(params)
        else:
            statement = _REDEEM
        async with self._engine.connect() as connection:
            return dict((await connection.execute(statement, params)).one()._mapping)

    async def earn(self, within: Executor | None, **params: Any) -> Posting:
        """``params``: ``ledger_earn``'s, with ``awards``, ``effects`` and
        ``basket`` (kept with the purchase) as JSON-ready values."""
        if within is not None:
            return Posting(**(await within.execute(_EARN, _earn_statement_params(params))).one()._mapping)
        return Posting(**await self.till_postings.post({"kind": "EARN", **params}))

    async def redeem(self, **params: Any) -> Posting:
        return Posting(**await self.till_postings.post({"kind": "REDEEM", **params}))

    async def reverse(self, **params: Any) -> Posting:
        return await self._call(_REVERSE, params)

    async def donate(self, **params: Any) -> Posting:
        return await self._call(_DONATE, params)

    async def transfer(self, **params: Any) -> Posting:
        return await self._call(_TRANSFER, params)

    async def aclose(self) -> None:
        await self.till_postings.aclose()


def _earn_statement_params(params: dict[str, Any]) -> dict[str, Any]:
    effects, basket = params["effects"], params.get("basket")
    return {
        **params,
        "awards": json.dumps(params["awards"]),
        "effects": None if effects is None else json.dumps(effects),
        "basket": None if basket is None else json.dumps(basket),
    }


async def redeem_within(connection: Executor, **params: Any) -> Posting:
    """A redemption inside the caller's transaction, to commit with what it pays for."""
    row = (await connection.execute(_REDEEM, params)).one()
    return Posting(**row._mapping)


async def adjust_within(connection: Executor, **params: Any) -> Posting:
    """The operator's adjustment inside the caller's transaction, to commit with its audit entry."""
    row = (await connection.execute(_ADJUST, params)).one()
    return Posting(**row._mapping)


@dataclass(frozen=True)
class TransactionRecord:
    id: uuid.UUID
    member_id: uuid.UUID
    coalition_id: uuid.UUID
    partner_id: uuid.UUID | None
    kind: str
    points: int
    business_date: date
    created_at: datetime
    purchase_minor: int | None
    reverses_id: uuid.UUID | None
    explanation: list[str]

    @classmethod
    def from_row(cls, row: Row[Any]) -> TransactionRecord:
        m = row._mapping
        return cls(**{name: m[name] for name in cls.__dataclass_fields__})


_TRANSACTION_COLUMNS = [transactions.c[name] for name in TransactionRecord.__dataclass_fields__]


async def transactions_by_ids(connection: Executor, ids: list[uuid.UUID]) -> list[TransactionRecord]:
    rows = await connection.execute(select(*_TRANSACTION_COLUMNS).where(transactions.c.id.in_(ids)))
    return [TransactionRecord.from_row(row) for row in rows]


async def transaction_page(
    connection: Executor,
    *,
    member_id: uuid.UUID | None = None,
    partner_id: uuid.UUID | None = None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[TransactionRecord]:
    """Newest first, keyset-paginated on (created_at, id)."""
    query = select(*_TRANSACTION_COLUMNS)
    if member_id is not None:
        query = query.where(transactions.c.member_id == member_id)
    if partner_id is not None:
        query = query.where(transactions.c.partner_id == partner_id)
    if after is not None:
        query = query.where(tuple_(transactions.c.created_at, transactions.c.id) < tuple_(*after))
    query = query.order_by(transactions.c.created_at.desc(), transactions.c.id.desc()).limit(limit)
    return [TransactionRecord.from_row(row) for row in await connection.execute(query)]


async def wallet_figures(connection: Executor, member_ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[int, int, int]]:
    rows = await connection.execute(
        text(
            "SELECT m AS member_id, f.balance, f.available, f.pending"
            " FROM unnest(CAST(:ids AS uuid[])) AS m, ledger_wallet_figures(m) f"
        ),
        {"ids": member_ids},
    )
    return {row.member_id: (row.balance, row.available, row.pending) for row in rows}


async def expiring_lots(
    connection: Executor, member_ids: list[uuid.UUID], now: datetime, until: datetime
) -> dict[uuid.UUID, list[tuple[int, datetime]]]:
    """Open lots expiring in (now, until], summed per expiry moment."""
    query = (
        select(lots.c.member_id, lots.c.expires_at, lots.c.remaining)
        .where(
            lots.c.member_id.in_(member_ids),
            lots.c.remaining > 0,
            lots.c.expires_at > now,
            lots.c.expires_at <= until,
        )
        .order_by(lots.c.member_id, lots.c.expires_at)
    )
    found: dict[uuid.UUID, list[tuple[int, datetime]]] = {m: [] for m in member_ids}
    for row in await connection.execute(query):
        items = found[row.member_id]
        if items and items[-1][1] == row.expires_at:
            items[-1] = (items[-1][0] + row.remaining, row.expires_at)
        else:
            items.append((row.remaining, row.expires_at))
    return found


async def pending_lots(
    connection: Executor, member_ids: list[uuid.UUID], now: datetime
) -> dict[uuid.UUID, list[tuple[int, datetime]]]:
    """Open lots not yet spendable (the return window), summed per moment they become available, soonest first."""
    query = (
        select(lots.c.member_id, lots.c.available_at, func.sum(lots.c.remaining).label("points"))
        .where(lots.c.member_id.in_(member_ids), lots.c.remaining > 0, lots.c.available_at > now)
        .group_by(lots.c.member_id, lots.c.available_at)
        .order_by(lots.c.member_id, lots.c.available_at)
    )
    found: dict[uuid.UUID, list[tuple[int, datetime]]] = {m: [] for m in member_ids}
    for row in await connection.execute(query):
        found[row.member_id].append((int(row.points), row.available_at))
    return found


async def create_wallet(connection: Executor, member_id: uuid.UUID, coalition_id: uuid.UUID) -> None:
    await connection.execute(wallets.insert().values(member_id=member_id, coalition_id=coalition_id))


async def post_bonus(
    connection: Executor, member_id: uuid.UUID, coalition_id: uuid.UUID, points: int, lines: list[str], reason: str
) -> None:
    """Coalition-funded points, in the caller's transaction."""
    await connection.execute(
        text("SELECT ledger_post_bonus(:member, :coalition, :points, CAST(:lines AS text[]), :reason)"),
        {"member": member_id, "coalition": coalition_id, "points": points, "lines": lines, "reason": reason},
    )
