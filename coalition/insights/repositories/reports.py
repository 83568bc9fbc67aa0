"""The reports' SQL: each contract query reads the daily rollups of one scope
(a shop, or the whole coalition) over a range of dates, never the purchases."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import text

from coalition.platform.runtime.database import Executor

_KPI = text(
    """SELECT m.active, m.repeaters, m.purchases, m.revenue,
              (SELECT count(*) FROM insight_member_firsts
                WHERE scope_id = :s AND first_date BETWEEN :f AND :t) AS new_members,
              p.issued, p.redeemed, p.expired, p.outstanding
         FROM (SELECT count(*) AS active, count(*) FILTER (WHERE n >= 2) AS repeaters,
                      coalesce(sum(n), 0) AS purchases, coalesce(sum(revenue), 0) AS revenue
                 FROM (SELECT member_id, sum(purchases) AS n, sum(revenue_minor) AS revenue
                         FROM insight_member_days WHERE scope_id = :s AND local_date BETWEEN :f AND :t
                        GROUP BY member_id) per_member) m,
              (SELECT coalesce(sum(issued) FILTER (WHERE business_date >= :f), 0) AS issued,
                      coalesce(sum(redeemed) FILTER (WHERE business_date >= :f), 0) AS redeemed,
                      coalesce(sum(expired) FILTER (WHERE business_date >= :f), 0) AS expired,
                      coalesce(sum(outstanding_delta), 0) AS outstanding
                 FROM insight_points_days WHERE scope_id = :s AND business_date <= :t) p"""
)
_SERIES = text(
    """SELECT greatest(CAST(date_trunc(:grain, local_date) AS date), CAST(:f AS date)) AS start,
              count(DISTINCT member_id) AS active, sum(purchases) AS purchases, sum(revenue_minor) AS revenue
         FROM insight_member_days WHERE scope_id = :s AND local_date BETWEEN :f AND :t
        GROUP BY 1 ORDER BY 1"""
)
_SERIES_POINTS = text(
    """SELECT greatest(CAST(date_trunc(:grain, business_date) AS date), CAST(:f AS date)) AS start,
              sum(issued) AS issued, sum(redeemed) AS redeemed
         FROM insight_points_days WHERE scope_id = :s AND business_date BETWEEN :f AND :t
        GROUP BY 1 ORDER BY 1"""
)
_COHORTS = text(
    """WITH cohort AS (
         SELECT member_id, CAST(date_trunc('month', first_date) AS date) AS month
           FROM insight_member_firsts WHERE scope_id = :s AND first_date BETWEEN :f AND :t
       )
     SELECT c.month, CAST(date_trunc('month', d.local_date) AS date) AS active_month,
            count(DISTINCT d.member_id) AS members
       FROM cohort c
       JOIN insight_member_days d ON d.scope_id = :s AND d.member_id = c.member_id
      WHERE d.local_date BETWEEN :f AND :t
      GROUP BY 1, 2"""
)
# Ties broken by member id, as coalition.insights.segments documents.
_SEGMENTS = text(
    """WITH m AS (
         SELECT member_id, max(local_date) AS last, sum(purchases) AS n, sum(revenue_minor) AS revenue
           FROM insight_member_days WHERE scope_id = :s AND local_date BETWEEN :f AND :t
          GROUP BY member_id
       ), scored AS (
         SELECT revenue, ntile(5) OVER (ORDER BY last, member_id) AS r, ntile(5) OVER (ORDER BY n, member_id) AS f
           FROM m
       )
     SELECT r, f, count(*) AS members, sum(revenue) AS revenue FROM scored GROUP BY r, f"""
)
# Gaps between consecutive purchase dates; a day with n purchases adds n - 1 gaps of 0.
_LAPSED = text(
    """WITH d AS (
         SELECT member_id, local_date, purchases FROM insight_member_days WHERE scope_id = :s AND local_date <= :t
       ), totals AS (
         SELECT member_id, sum(purchases) AS n, max(local_date) AS last FROM d
          GROUP BY member_id HAVING sum(purchases) >= 3
       ), gaps AS (
         SELECT d.member_id, d.local_date - lag(d.local_date) OVER (PARTITION BY d.member_id ORDER BY d.local_date)
                AS gap
           FROM d JOIN totals USING (member_id)
         UNION ALL
         SELECT d.member_id, 0 FROM d JOIN totals USING (member_id) CROSS JOIN generate_series(2, d.purchases)
       ), medians AS (
         SELECT member_id, percentile_cont(0.5) WITHIN GROUP (ORDER BY gap) AS median FROM gaps
          WHERE gap IS NOT NULL GROUP BY member_id
       )
     SELECT t.member_id, t.n, t.last, m.median, :t - t.last AS since
       FROM totals t JOIN medians m USING (member_id)
      WHERE :t - t.last > 2 * m.median
      ORDER BY t.last DESC, t.member_id
      LIMIT :first"""
)
# Only the shops sharing enough members are counted in full; the rest of the
# coalition's member-days are only probed for this shop's members.
_CROSS_SHOP = text(
    """WITH ours AS (
         SELECT DISTINCT member_id FROM insight_member_days
          WHERE scope_id = :s AND local_date BETWEEN :f AND :t
       ), shared AS (
         SELECT d.scope_id, count(DISTINCT d.member_id) AS members
           FROM insight_member_days d JOIN ours USING (member_id)
          WHERE d.coalition_id = :c AND d.local_date BETWEEN :f AND :t AND d.scope_id <> :s AND d.scope_id <> :c
          GROUP BY d.scope_id HAVING count(DISTINCT d.member_id) >= :minimum
       ), sizes AS (
         SELECT d.scope_id, count(DISTINCT d.member_id) AS members
           FROM insight_member_days d JOIN shared USING (scope_id)
          WHERE d.local_date BETWEEN :f AND :t
          GROUP BY d.scope_id
       )
     SELECT (SELECT count(*) FROM ours) AS ours,
            (SELECT count(DISTINCT member_id) FROM insight_member_days
              WHERE scope_id = :c AND local_date BETWEEN :f AND :t) AS everyone,
            sh.scope_id AS partner_id, sh.members AS shared, sz.members AS theirs,
            p.name, p.kind, p.named_in_insights
       FROM (SELECT 1) one
       LEFT JOIN shared sh ON true
       LEFT JOIN sizes sz ON sz.scope_id = sh.scope_id
       LEFT JOIN partners p ON p.id = sh.scope_id"""
)
_BASKET_TOTAL = text(
    """SELECT coalesce(sum(basket_receipts), 0) FROM insight_shop_days
        WHERE scope_id = :s AND local_date BETWEEN :f AND :t"""
)
_CATEGORIES = text(
    """SELECT category, sum(receipts) AS receipts FROM insight_category_days
        WHERE scope_id = :s AND local_date BETWEEN :f AND :t GROUP BY category"""
)
_PAIRS = text(
    """SELECT first_category, second_category, sum(receipts) AS receipts FROM insight_pair_days
        WHERE scope_id = :s AND local_date BETWEEN :f AND :t GROUP BY first_category, second_category
       HAVING sum(receipts) >= :least"""
)
_BEFORE_AFTER = text(
    """WITH enrolled AS (
         SELECT id AS member_id, CAST(created_at AT TIME ZONE :tz AS date) AS day FROM members
          WHERE coalition_id = :c AND CAST(created_at AT TIME ZONE :tz AS date) + CAST(:w AS integer) - 1 <= :t
       ), windows AS (
         SELECT e.member_id, e.day,
                sum(d.revenue_minor) FILTER (WHERE d.local_date < e.day) AS before_spend,
                sum(d.purchases) FILTER (WHERE d.local_date < e.day) AS before_visits,
                sum(d.revenue_minor) FILTER (WHERE d.local_date >= e.day) AS after_spend,
                sum(d.purchases) FILTER (WHERE d.local_date >= e.day) AS after_visits
           FROM enrolled e
           JOIN insight_member_days d ON d.scope_id = :s AND d.member_id = e.member_id
          WHERE d.local_date BETWEEN e.day - CAST(:w AS integer) AND e.day + CAST(:w AS integer) - 1
          GROUP BY e.member_id, e.day
       ), counted AS (
         SELECT * FROM windows WHERE before_visits > 0 AND after_visits > 0
       ), redeemed AS (
         SELECT coalesce(sum(CASE WHEN u.kind = 'REDEEM' THEN u.points ELSE -u.points END), 0) AS points
           FROM counted c
           JOIN lot_consumptions u ON u.member_id = c.member_id
          WHERE u.partner_id = :s AND u.kind IN ('REDEEM', 'RESTORE')
            AND u.business_date BETWEEN c.day AND c.day + CAST(:w AS integer) - 1
       ), fees AS (
         -- each settled business day once, however many counted after-windows cover it
         SELECT coalesce(sum(l.fees_minor), 0) AS fees_minor
           FROM settlement_runs r
           JOIN settlement_lines l ON l.run_id = r.id AND l.partner_id = :s
          WHERE r.coalition_id = :c AND r.status IN ('APPROVED', 'PAID')
            AND EXISTS (SELECT 1 FROM counted c
                         WHERE r.business_date BETWEEN c.day AND c.day + CAST(:w AS integer) - 1)
       )
     SELECT count(*) AS members, coalesce(sum(before_spend), 0) AS before_spend,
            coalesce(sum(before_visits), 0) AS before_visits, coalesce(sum(after_spend), 0) AS after_spend,
            coalesce(sum(after_visits), 0) AS after_visits, (SELECT points FROM redeemed) AS redeemed_points,
            (SELECT fees_minor FROM fees) AS fees_minor
       FROM counted"""
)


async def kpi_sums(connection: Executor, scope_id: uuid.UUID, first: date, last: date) -> Any:
    return (await connection.execute(_KPI, {"s": scope_id, "f": first, "t": last})).one()


async def series(connection: Executor, scope_id: uuid.UUID, first: date, last: date, grain: str) -> list[Any]:
    parameters = {"s": scope_id, "f": first, "t": last, "grain": grain}
    return list((await connection.execute(_SERIES, parameters)).all())


async def series_points(connection: Executor, scope_id: uuid.UUID, first: date, last: date, grain: str) -> list[Any]:
    parameters = {"s": scope_id, "f": first, "t": last, "grain": grain}
    return list((await connection.execute(_SERIES_POINTS, parameters)).all())


async def cohort_activity(connection: Executor, scope_id: uuid.UUID, first: date, last: date) -> list[Any]:
    return list((await connection.execute(_COHORTS, {"s": scope_id, "f": first, "t": last})).all())


async def segment_cells(connection: Executor, scope_id: uuid.UUID, first: date, last: date) -> list[Any]:
    return list((await connection.execute(_SEGMENTS, {"s": scope_id, "f": first, "t": last})).all())


async def lapsed(connection: Executor, scope_id: uuid.UUID, as_of: date, first: int) -> list[Any]:
    return list((await connection.execute(_LAPSED, {"s": scope_id, "t": as_of, "first": first})).all())


async def cross_shop(
    connection: Executor, coalition_id: uuid.UUID, partner_id: uuid.UUID, first: date, last: date, minimum: int
) -> list[Any]:
    parameters = {"c": coalition_id, "s": partner_id, "f": first, "t": last, "minimum": minimum}
    return list((await connection.execute(_CROSS_SHOP, parameters)).all())


async def basket_counts(
    connection: Executor, scope_id: uuid.UUID, first: date, last: date, least: int
) -> tuple[int, dict[str, int], list[Any]]:
    """(receipts with a categorised line, receipts per category, unordered pairs seen on at least ``least``)."""
    parameters = {"s": scope_id, "f": first, "t": last, "least": least}
    receipts = int(await connection.scalar(_BASKET_TOTAL, parameters) or 0)
    categories = {row.category: int(row.receipts) for row in await connection.execute(_CATEGORIES, parameters)}
    pairs = list((await connection.execute(_PAIRS, parameters)).all())
    return receipts, categories, pairs


async def before_after(
    connection: Executor,
    coalition_id: uuid.UUID,
    partner_id: uuid.UUID,
    timezone: str,
    window_days: int,
    as_of: date,
) -> Any:
    parameters = {"c": coalition_id, "s": partner_id, "tz": timezone, "w": window_days, "t": as_of}
    return (await connection.execute(_BEFORE_AFTER, parameters)).one()
