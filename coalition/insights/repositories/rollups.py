"""The daily rollups' SQL: which days changed since the last run, and each
changed day recomputed whole from the purchases and the ledger (delete, then
one set-based insert per table), so running twice changes nothing.

Every statement groups by GROUPING SETS: one pass writes a shop's rows
(scope = the partner) and the coalition's (scope = the coalition)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from coalition.platform.runtime.database import Executor

_DAY_TABLES = ("insight_member_days", "insight_shop_days", "insight_category_days", "insight_pair_days")

# Every transaction that started before this moment has ended: purchases it
# inserted (created_at is its start) are visible to any later snapshot. One
# still open (or a connection idle in a transaction) holds the bound back,
# which only makes the next run recompute a few more days.
_BOUND = text(
    """SELECT least(now(), min(xact_start)) FROM pg_stat_activity
        WHERE xact_start IS NOT NULL AND pid <> pg_backend_pid()"""
)
_WATERMARK = text("SELECT watermark FROM insight_rollup_state WHERE coalition_id = :c")
_PURCHASE_DAYS = text(
    """SELECT DISTINCT local_date FROM purchases
        WHERE coalition_id = :c AND (CAST(:since AS timestamptz) IS NULL OR created_at >= :since)
        ORDER BY 1"""
)
# Postings are dated by the day they are posted on: the days since the last
# run (and the one before, for a run just after midnight) are all that can change.
_POINTS_DAYS = text(
    """SELECT DISTINCT business_date FROM ledger_transactions
        WHERE coalition_id = :c AND business_date >= :since ORDER BY 1"""
)
_LOCK = text("SELECT pg_advisory_xact_lock(hashtextextended('insights:rollup:' || :c, 0))")

# Summed per shop first, then over the grouping sets: on Citus, where
# purchases are distributed by member, the first step runs on the shards and
# the grouping sets (which Citus cannot push down) on its much smaller result.
_MEMBER_DAYS = text(
    """WITH per_shop AS MATERIALIZED (
         SELECT partner_id, local_date, member_id, count(*) AS purchases, sum(total_minor) AS revenue_minor
           FROM purchases
          WHERE coalition_id = :c AND local_date = ANY(:days)
          GROUP BY partner_id, local_date, member_id
       )
     INSERT INTO insight_member_days (coalition_id, scope_id, local_date, member_id, purchases, revenue_minor)
     SELECT :c, CASE WHEN GROUPING(partner_id) = 1 THEN CAST(:c AS uuid) ELSE partner_id END,
            local_date, member_id, sum(purchases), sum(revenue_minor)
       FROM per_shop
      GROUP BY GROUPING SETS ((partner_id, local_date, member_id), (local_date, member_id))"""
)
_SHOP_DAYS = text(
    """INSERT INTO insight_shop_days (coalition_id, scope_id, local_date, purchases, revenue_minor, members)
       SELECT :c, scope_id, local_date, sum(purchases), sum(revenue_minor), count(*)
         FROM insight_member_days
        WHERE coalition_id = :c AND local_date = ANY(:days)
        GROUP BY scope_id, local_date"""
)
# A receipt "has" a category when one of its lines is in it (a return line too).
_RECEIPT_CATEGORIES = """WITH cats AS MATERIALIZED (
         SELECT DISTINCT p.partner_id, p.local_date, p.id AS purchase_id, l.category COLLATE "C" AS category
           FROM purchases p
           JOIN purchase_lines l ON l.member_id = p.member_id AND l.purchase_id = p.id
          WHERE p.coalition_id = :c AND p.local_date = ANY(:days) AND l.category <> ''
       )"""
_CATEGORY_DAYS = text(
    _RECEIPT_CATEGORIES
    + """
     INSERT INTO insight_category_days (coalition_id, scope_id, local_date, category, receipts)
     SELECT :c, CASE WHEN GROUPING(partner_id) = 1 THEN CAST(:c AS uuid) ELSE partner_id END,
            local_date, category, count(*)
       FROM cats
      GROUP BY GROUPING SETS ((partner_id, local_date, category), (local_date, category))"""
)
_PAIR_DAYS = text(
    _RECEIPT_CATEGORIES
    + """
     INSERT INTO insight_pair_days (coalition_id, scope_id, local_date, first_category, second_category, receipts)
     SELECT :c, CASE WHEN GROUPING(a.partner_id) = 1 THEN CAST(:c AS uuid) ELSE a.partner_id END,
            a.local_date, a.category, b.category, count(*)
       FROM cats a JOIN cats b ON b.purchase_id = a.purchase_id AND a.category < b.category
      GROUP BY GROUPING SETS ((a.partner_id, a.local_date, a.category, b.category),
                              (a.local_date, a.category, b.category))"""
)
_BASKET_RECEIPTS = text(
    _RECEIPT_CATEGORIES
    + """, baskets AS (
         SELECT CASE WHEN GROUPING(partner_id) = 1 THEN CAST(:c AS uuid) ELSE partner_id END AS scope_id,
                local_date, count(DISTINCT purchase_id) AS receipts
           FROM cats GROUP BY GROUPING SETS ((partner_id, local_date), (local_date))
       )
     UPDATE insight_shop_days d SET basket_receipts = b.receipts
       FROM baskets b WHERE d.scope_id = b.scope_id AND d.local_date = b.local_date"""
)
# Each member's first purchase date per scope only moves earlier: purchases are never deleted.
_FIRSTS = text(
    """INSERT INTO insight_member_firsts (coalition_id, scope_id, member_id, first_date)
       SELECT :c, scope_id, member_id, min(local_date)
         FROM insight_member_days
        WHERE coalition_id = :c AND local_date = ANY(:days)
        GROUP BY scope_id, member_id
       ON CONFLICT (scope_id, member_id)
       DO UPDATE SET first_date = least(insight_member_firsts.first_date, excluded.first_date)"""
)
# issued: points of earns put into wallets, net of clawbacks (reversed earns);
# redeemed: spent at the scope's shop, net of restores (reversed redemptions);
# expired and outstanding: the issuer's. Coalition-funded points (no issuer)
# count only in the coalition's scope.
_POINTS = text(
    """WITH created AS (
         SELECT t.business_date AS day, l.issuer_partner_id AS partner_id,
                CASE WHEN t.kind = 'EARN' THEN l.points ELSE 0 END AS issued,
                CAST(0 AS bigint) AS redeemed, CAST(0 AS bigint) AS expired, l.points AS delta
           FROM ledger_transactions t
           JOIN lots l ON l.member_id = t.member_id AND l.transaction_id = t.id
          WHERE t.coalition_id = :c AND t.business_date = ANY(:days)
       ), used AS (
         SELECT u.business_date AS day, u.kind, u.points, u.issuer_partner_id, u.partner_id
           FROM lot_consumptions u
           JOIN ledger_transactions t ON t.member_id = u.member_id AND t.id = u.transaction_id
          WHERE t.coalition_id = :c AND t.business_date = ANY(:days)
       ), events AS (
         SELECT day, partner_id, issued, redeemed, expired, delta FROM created
         UNION ALL
         SELECT day, issuer_partner_id, CASE WHEN kind = 'CLAWBACK' THEN -points ELSE 0 END, 0,
                CASE WHEN kind = 'EXPIRE' THEN points ELSE 0 END,
                CASE WHEN kind = 'RESTORE' THEN points ELSE -points END
           FROM used
         UNION ALL
         SELECT day, partner_id, 0, CASE WHEN kind = 'REDEEM' THEN points ELSE -points END, 0, 0
           FROM used WHERE kind IN ('REDEEM', 'RESTORE')
       )
     INSERT INTO insight_points_days
         (coalition_id, scope_id, business_date, issued, redeemed, expired, outstanding_delta)
     SELECT :c, CASE WHEN GROUPING(partner_id) = 1 THEN CAST(:c AS uuid) ELSE partner_id END, day,
            sum(issued), sum(redeemed), sum(expired), sum(delta)
       FROM events
      GROUP BY GROUPING SETS ((day, partner_id), (day))
     HAVING GROUPING(partner_id) = 1 OR partner_id IS NOT NULL"""
)
# excluded.rolled_at is the same now(); Citus refuses now() itself in DO UPDATE.
_ADVANCE = text(
    """INSERT INTO insight_rollup_state (coalition_id, watermark, rolled_at) VALUES (:c, :bound, now())
       ON CONFLICT (coalition_id) DO UPDATE
       SET watermark = greatest(insight_rollup_state.watermark, excluded.watermark), rolled_at = excluded.rolled_at"""
)


async def bound(connection: Executor) -> datetime:
    found: datetime = await connection.scalar(_BOUND)
    return found


async def watermark(connection: Executor, coalition_id: uuid.UUID) -> datetime | None:
    found: datetime | None = await connection.scalar(_WATERMARK, {"c": coalition_id})
    return found


async def purchase_days(connection: Executor, coalition_id: uuid.UUID, since: datetime | None) -> list[date]:
    """Days of the purchases inserted since ``since`` (every day with a purchase when None), in order."""
    return list((await connection.scalars(_PURCHASE_DAYS, {"c": coalition_id, "since": since})).all())


async def points_days(connection: Executor, coalition_id: uuid.UUID, since: date) -> list[date]:
    return list((await connection.scalars(_POINTS_DAYS, {"c": coalition_id, "since": since})).all())


async def lock(connection: Executor, coalition_id: uuid.UUID) -> None:
    """Two runs for one coalition take turns (the worker's and the import's)."""
    await connection.execute(_LOCK, {"c": str(coalition_id)})


# From the sixth run of a prepared statement PostgreSQL may keep one generic
# plan, made blind to how many days the array holds: for these statements it
# was twenty times slower than planning each chunk afresh.
_CUSTOM_PLANS = text("SET LOCAL plan_cache_mode = force_custom_plan")


async def roll_purchase_days(connection: Executor, coalition_id: uuid.UUID, days: list[date]) -> None:
    parameters = {"c": coalition_id, "days": days}
    await connection.execute(_CUSTOM_PLANS)
    for table in _DAY_TABLES:
        await connection.execute(
            text(f"DELETE FROM {table} WHERE coalition_id = :c AND local_date = ANY(:days)"), parameters
        )
    for statement in (_MEMBER_DAYS, _SHOP_DAYS, _CATEGORY_DAYS, _PAIR_DAYS, _BASKET_RECEIPTS, _FIRSTS):
        await connection.execute(statement, parameters)


async def roll_points_days(connection: Executor, coalition_id: uuid.UUID, days: list[date]) -> None:
    parameters = {"c": coalition_id, "days": days}
    await connection.execute(_CUSTOM_PLANS)
    await connection.execute(
        text("DELETE FROM insight_points_days WHERE coalition_id = :c AND business_date = ANY(:days)"), parameters
    )
    await connection.execute(_POINTS, parameters)


async def analyse(connection: Executor) -> None:
    """Fresh statistics for the rollups: a catch-up of many days (a first run,
    a year of imported history) grows them faster than autovacuum notices,
    and plans made for empty tables turn each following chunk into scans."""
    await connection.execute(text(f"ANALYZE {', '.join(_DAY_TABLES)}, insight_member_firsts"))


async def vacuum(connection: AsyncConnection) -> None:
    """After a catch-up of many days: the new pages marked all-visible, so a
    report counts new members from ``insight_member_firsts``' index alone
    instead of reading each row's page (on the insights bench, 20 of the
    coalition KPIs' 49 ms went to those pages). Autovacuum gets there only
    once a fifth of a table is new. ``connection`` must be in autocommit."""
    await connection.execute(text(f"VACUUM (ANALYZE) {', '.join(_DAY_TABLES)}, insight_member_firsts"))


async def advance(connection: Executor, coalition_id: uuid.UUID, to: datetime) -> None:
    await connection.execute(_ADVANCE, {"c": coalition_id, "bound": to})


async def coalition_zones(connection: Executor) -> list[tuple[uuid.UUID, str]]:
    rows = await connection.execute(text("SELECT id, timezone FROM coalitions ORDER BY id"))
    return [(row.id, row.timezone) for row in rows]
