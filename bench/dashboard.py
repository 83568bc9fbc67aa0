"""The shop dashboard's half of ``python -m bench portal``: a year of
purchases for the bench town, rolled up as the worker does, and the dashboard
page against its own GraphQL document.

The purchases are written straight into ``purchases`` and ``purchase_lines``
(as ``coalition import receipts`` leaves them, two categorised lines each so
the basket rules have receipts), spread over the 365 days before today
across every shop and member; then the insights rollup catches up."""

from __future__ import annotations

import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import text

from coalition.insights.rollup import roll_up
from coalition.platform.runtime.database import create_engine
from coalition.platform.staff.rules import StaffRole

if TYPE_CHECKING:  # portal.py puts this module's measure in its PAGES
    from bench.portal import Portal

DOCUMENT = Path(__file__).parent.parent / "coalition" / "web" / "shop" / "dashboard" / "dashboard.graphql"
PAGE = "/portal/shop/dashboard"
TIMEZONE = "Europe/Amsterdam"  # the bench town's (bench.seeding.town)
BATCH = 100_000
_MINUTES_A_YEAR = 365 * 24 * 60
_YEAR = text(
    """WITH picked AS (
         SELECT g, m.id AS member_id, md5('bench-purchase-' || g)::uuid AS id,
                (CAST(:shops AS uuid[]))[1 + (g + abs(hashtext(m.id::text))) % :shop_count] AS partner_id,
                now() - ((g * 7919) % :minutes) * interval '1 minute' AS at,
                300 + (g * 104729) % 6000 AS total
           FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) AS g
           JOIN members m ON m.coalition_id = :coalition
                         AND m.card_number = 'T' || lpad(((g * 48271) % :members)::text, 9, '0')
       ), inserted AS (
         INSERT INTO purchases (member_id, id, coalition_id, partner_id, source, receipt_ref, total_minor,
                                occurred_at, local_date)
         SELECT member_id, id, :coalition, partner_id, 'IMPORT', 'bench-' || g, total, at,
                (at AT TIME ZONE :timezone)::date
           FROM picked
         RETURNING 1
       )
       INSERT INTO purchase_lines (member_id, purchase_id, line_no, sku, category, quantity, amount_minor)
       SELECT p.member_id, p.id, l, 'SKU' || ((p.g + l * 7) % 50),
              (ARRAY['bread', 'butter', 'cheese', 'coffee', 'fruit'])[1 + (p.g + l * 3) % 5], 1,
              CASE l WHEN 1 THEN p.total / 2 ELSE p.total - p.total / 2 END
         FROM picked p CROSS JOIN generate_series(1, 2) AS l"""
)


async def seed_year(url: str, slug: str, purchases: int) -> int:
    """About ``purchases`` receipts over the last year, rolled up. Returns the purchases the table holds."""
    engine = create_engine(url, pool_size=2)
    try:
        async with engine.connect() as connection:
            coalition = (
                await connection.execute(text("SELECT id FROM coalitions WHERE slug = :s"), {"s": slug})
            ).scalar_one()
            shops = list(
                (await connection.execute(
                    text("SELECT id FROM partners WHERE coalition_id = :c ORDER BY name"), {"c": coalition}
                )).scalars()
            )  # fmt: skip
            members = (
                await connection.execute(text("SELECT count(*) FROM members WHERE coalition_id = :c"), {"c": coalition})
            ).scalar_one()
        for first in range(0, purchases, BATCH):
            async with engine.begin() as connection:
                await connection.execute(_YEAR, {
                    "shops": shops, "shop_count": len(shops), "minutes": _MINUTES_A_YEAR, "first": first,
                    "last": min(purchases, first + BATCH) - 1, "coalition": coalition, "members": members,
                    "timezone": TIMEZONE,
                })  # fmt: skip
        await roll_up(engine, coalition)
        async with engine.execution_options(isolation_level="AUTOCOMMIT").connect() as connection:
            await connection.execute(text("VACUUM ANALYZE"))
            return int((await connection.execute(text("SELECT count(*) FROM purchases"))).scalar_one())
    finally:
        await engine.dispose()


def dashboard_variables(partner_id: uuid.UUID) -> dict[str, str]:
    """The page's default: the last 30 days, cohorts from the same month a year ago (as page.py asks)."""
    today = datetime.now(ZoneInfo(TIMEZONE)).date()
    return {
        "partnerId": str(partner_id), "from": (today - timedelta(days=29)).isoformat(), "to": today.isoformat(),
        "fromMonth": date(today.year - 1, today.month, 1).isoformat(), "toMonth": today.isoformat(),
    }  # fmt: skip


def measure(portal: Portal, requests: int) -> dict[str, list[float]]:
    """The first shop's dashboard as its owner opens it, against its document over ``POST /graphql``
    with the shop's key, alternating; the first 5 of each warm up, unmeasured."""
    timings: dict[str, list[float]] = {"page": [], "api": []}
    document = DOCUMENT.read_text(encoding="utf-8")
    headers = {"Authorization": f"Bearer {portal.till_key}"}
    with portal.browser(StaffRole.OWNER) as owner, httpx.Client(base_url=portal.base, timeout=60) as api:
        for n in range(requests + 5):
            started = time.perf_counter()
            page = owner.get(PAGE)
            page_seconds = time.perf_counter() - started
            assert page.status_code == 200, page.status_code
            assert 'class="dashboard-kpis"' in page.text
            started = time.perf_counter()
            answer = api.post(
                "/graphql", json={"query": document, "variables": dashboard_variables(portal.partner_id)},
                headers=headers,
            )  # fmt: skip
            api_seconds = time.perf_counter() - started
            assert "errors" not in answer.json(), answer.text
            assert answer.json()["data"]["kpis"]["period"]["purchases"] > 0, "the seeded year is not rolled up"
            if n >= 5:
                timings["page"].append(page_seconds)
                timings["api"].append(api_seconds)
    return timings
