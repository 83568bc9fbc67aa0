"""``coalition ledger verify``: the ledger's invariants (every transaction's
entries sum to zero; a wallet's balance equals its entries and its lots;
nothing goes negative; a lot's consumptions, expiry and remaining add up to
its points), recomputed from the ledger's rows rather than trusted from its
derived columns."""

from __future__ import annotations

import uuid

from sqlalchemy import text

from coalition.platform.runtime.database import Executor

# Each query yields one row per violation: (what, detail).
_CHECKS = {
    "1 entries sum to zero": """
        SELECT t.id::text, 'entries sum to ' || coalesce(sum(e.amount), 0)
          FROM ledger_transactions t
          JOIN ledger_entries e ON e.member_id = t.member_id AND e.transaction_id = t.id
         WHERE (CAST(:coalition AS uuid) IS NULL OR t.coalition_id = :coalition)
         GROUP BY t.id HAVING sum(e.amount) <> 0""",
    "2 wallet balance equals its entries and its lots": """
        SELECT w.member_id::text,
               format('balance %s, entries %s, lots remaining %s',
                      w.balance, coalesce(e.total, 0), coalesce(l.total, 0))
          FROM wallets w
          LEFT JOIN (SELECT member_id, sum(amount) AS total FROM ledger_entries WHERE on_wallet GROUP BY member_id) e
                 ON e.member_id = w.member_id
          LEFT JOIN (SELECT member_id, sum(remaining) AS total FROM lots GROUP BY member_id) l
                 ON l.member_id = w.member_id
         WHERE (CAST(:coalition AS uuid) IS NULL OR w.coalition_id = :coalition)
           AND (w.balance <> coalesce(e.total, 0) OR w.balance <> coalesce(l.total, 0)
                OR w.lots_remaining <> coalesce(l.total, 0))""",
    "3 nothing negative": """
        SELECT member_id::text, 'wallet balance ' || balance FROM wallets
         WHERE balance < 0 AND (CAST(:coalition AS uuid) IS NULL OR coalition_id = :coalition)
        UNION ALL
        SELECT id::text, 'lot remaining ' || remaining FROM lots
         WHERE remaining < 0 AND (CAST(:coalition AS uuid) IS NULL OR coalition_id = :coalition)""",
    "4 lot consumptions, expiry and remaining equal its points": """
        SELECT l.id::text,
               format('points %s, consumed %s, reversed %s, expired %s, remaining %s',
                      l.points, coalesce(c.consumed, 0), coalesce(c.reversed, 0),
                      coalesce(c.expired, 0), l.remaining)
          FROM lots l
          LEFT JOIN (
            SELECT member_id, lot_id,
                   sum(CASE WHEN kind IN ('REDEEM', 'DONATE', 'TRANSFER') THEN points
                            WHEN kind = 'RESTORE' THEN -points ELSE 0 END) AS consumed,
                   sum(points) FILTER (WHERE kind = 'CLAWBACK') AS reversed,
                   sum(points) FILTER (WHERE kind = 'EXPIRE') AS expired
              FROM lot_consumptions GROUP BY member_id, lot_id
          ) c ON c.member_id = l.member_id AND c.lot_id = l.id
         WHERE (CAST(:coalition AS uuid) IS NULL OR l.coalition_id = :coalition)
           AND (coalesce(c.consumed, 0) + coalesce(c.reversed, 0) + coalesce(c.expired, 0) + l.remaining <> l.points
                OR coalesce(c.consumed, 0) < 0
                OR l.consumed <> coalesce(c.consumed, 0))""",
}


async def verify(connection: Executor, coalition_id: uuid.UUID | None = None) -> list[str]:
    """Human-readable violations; an empty list means the ledger is sound."""
    violations: list[str] = []
    for name, query in _CHECKS.items():
        rows = await connection.execute(text(query), {"coalition": coalition_id})
        violations.extend(f"invariant {name}: {subject}: {detail}" for subject, detail in rows)
    return violations
