"""The partner portal's pages against the API they are built on, in one run.

    uv run python -m bench portal [--members 100000] [--history 1000000] [--purchases 100000] [--requests 300]
                                  [--quick | --full-year]

Starts what it needs (embedded servers unless COALITION_DATABASE_URL /
COALITION_REDIS_URL are set), seeds a town (10 shops, ``--members`` members
with balances, about ``--history`` ledger entries of past trade), starts
``coalition serve`` and signs a cashier of the first shop in (a session in
Redis, as the sign-in page makes). Then, one request at a time so each time
is the request's own, alternating the two:

- **till earn, page**: the till's form posted as a browser does
  (``POST /portal/shop/till/earn`` with the form token and a new key), the
  answer being the whole till page with the receipt's explanation;
- **till earn, API** (the baseline): the same earn as a till key's
  ``earnPoints`` over ``POST /graphql``.

It prints p50/p95 of each and their ratio, and writes bench/results/portal.json.

- **dashboard, page**: the first shop's dashboard (``GET /portal/shop/dashboard``,
  the last 30 days) as its owner opens it, over ``--purchases`` receipts of
  the last year rolled up as the worker does (``bench/dashboard.py``);
- **dashboard, API** (the baseline): the page's own GraphQL document with the
  same variables over ``POST /graphql`` with the shop's key.

``--full-year`` seeds 100,000 members and a year of about one purchase per
member a month (1.2 million receipts); the default is a thinner year so a run
stays within a few minutes.

Other pages' halves plug into ``PAGES``: a function
taking the ``Portal`` (base URL, signed-in staff cookies, cards, keys) and
returning ``{"page": [seconds...], "api": [seconds...]}`` for the same
data through the page and through its GraphQL document.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from redis.asyncio import Redis
from sqlalchemy import text

from bench import dashboard, seeding
from bench.databases import plain, recreate
from bench.till import Api, machine
from coalition.platform.runtime import migrate
from coalition.platform.runtime.database import create_engine
from coalition.platform.runtime.embedded import resolved
from coalition.platform.runtime.settings import Settings
from coalition.platform.staff import repository as staff_repository
from coalition.platform.staff import sessions as staff_sessions
from coalition.platform.staff.rules import Grant, StaffRole

SLUG = "portal"
_TOKEN = re.compile(r'name="_csrf_token" value="([^"]+)"')
EARN = (
    "mutation($input: EarnPointsInput!) { earnPoints(input: $input) { transaction { id points explanation } "
    "wallet { balance available pending } errors { code message field } } }"
)


@dataclass
class Portal:
    """What a page measure needs: the running server, staff signed in per role, a till key and cards."""

    base: str
    staff: dict[StaffRole, str]  # role -> session cookie value, in the first shop
    till_key: str
    cards: list[str]
    partner_id: uuid.UUID
    results: dict[str, Any] = field(default_factory=dict)

    def browser(self, role: StaffRole) -> httpx.Client:
        client = httpx.Client(base_url=self.base, timeout=30)
        client.cookies.set(staff_sessions.COOKIE_NAME, self.staff[role])
        return client


def till_earn(portal: Portal, requests: int) -> dict[str, list[float]]:
    """The till's earn through the page and through the API, alternating."""
    timings: dict[str, list[float]] = {"page": [], "api": []}
    with portal.browser(StaffRole.CASHIER) as cashier, httpx.Client(base_url=portal.base, timeout=30) as api:
        page = cashier.get("/portal/shop/till")
        found = _TOKEN.search(page.text)
        assert page.status_code == 200, page.status_code
        assert found is not None
        form_token = found.group(1)
        headers = {"Authorization": f"Bearer {portal.till_key}"}
        for n in range(requests + 20):  # the first 20 of each warm up, unmeasured
            card = portal.cards[(n * 7919) % len(portal.cards)]
            started = time.perf_counter()
            posted = cashier.post(
                "/portal/shop/till/earn",
                data={"_csrf_token": form_token, "idempotencyKey": f"bp-{uuid.uuid4().hex}", "cardNumber": card,
                      "amount": "12.50"},
            )  # fmt: skip
            page_seconds = time.perf_counter() - started
            assert posted.status_code == 200, posted.status_code
            assert "points given" in posted.text
            started = time.perf_counter()
            answer = api.post(
                "/graphql",
                json={"query": EARN, "variables": {"input": {"idempotencyKey": f"ba-{uuid.uuid4().hex}",
                                                             "cardNumber": card, "amount": "12.50"}}},
                headers=headers,
            )  # fmt: skip
            api_seconds = time.perf_counter() - started
            assert answer.json()["data"]["earnPoints"]["errors"] == [], answer.text
            if n >= 20:
                timings["page"].append(page_seconds)
                timings["api"].append(api_seconds)
    return timings


# name -> measure
PAGES: dict[str, Callable[[Portal, int], dict[str, list[float]]]] = {
    "till earn": till_earn,
    "dashboard": dashboard.measure,
}


def _ms(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000, 2)


def summary(timings: dict[str, list[float]]) -> dict[str, Any]:
    page, api = timings["page"], timings["api"]
    return {
        "requests": len(page),
        "page_ms": {"p50": _ms(page, 0.5), "p95": _ms(page, 0.95)},
        "api_ms": {"p50": _ms(api, 0.5), "p95": _ms(api, 0.95)},
        "ratio_p50": round(statistics.median(page) / statistics.median(api), 2),
    }


async def _staff(url: str, redis_url: str) -> tuple[uuid.UUID, dict[StaffRole, str]]:
    """A cashier, a manager and an owner of the first shop, each signed in."""
    engine = create_engine(url, pool_size=1)
    sessions: dict[StaffRole, str] = {}
    redis = Redis.from_url(redis_url)
    try:
        async with engine.begin() as connection:
            row = (
                await connection.execute(
                    text(
                        "SELECT p.id, p.coalition_id FROM partners p JOIN coalitions c ON c.id = p.coalition_id"
                        " WHERE c.slug = :s AND p.name = 'Shop 00'"
                    ),
                    {"s": SLUG},
                )
            ).one()
            people = {}
            for role in (StaffRole.CASHIER, StaffRole.MANAGER, StaffRole.OWNER):
                person = await staff_repository.insert_person(
                    connection, coalition_id=row.coalition_id, email=f"{role.lower()}@bench.test", name=str(role),
                    language="en",
                )  # fmt: skip
                await staff_repository.add_grant(connection, person, Grant(role, row.id))
                people[role] = person
        for role, person in people.items():
            sessions[role] = await staff_sessions.open_session(
                redis, person_id=person, coalition_id=row.coalition_id, grant=Grant(role, row.id),
                now=datetime.now(UTC),
            )  # fmt: skip
    finally:
        await redis.aclose()
        await engine.dispose()
    return row.id, sessions


def run(settings: Settings, args: argparse.Namespace) -> dict[str, Any]:
    assert settings.database_url is not None
    assert settings.redis_url is not None
    report: dict[str, Any] = {"at": datetime.now(UTC).isoformat(), "machine": machine(), "members": args.members}
    print(f"seeding 10 shops, {args.members} members and about {args.history} entries of history ...", flush=True)
    url = asyncio.run(recreate(settings.database_url, "coalition_portal_bench"))
    migrate.upgrade(url)
    tokens, cards = asyncio.run(seeding.town(url, members=args.members, slug=SLUG))
    if args.history:
        report["ledger_entries"] = asyncio.run(seeding.add_history(url, SLUG, args.history))
    if args.purchases:
        print(f"seeding {args.purchases} purchases over the last year and rolling them up ...", flush=True)
        started = time.perf_counter()
        report["purchases"] = asyncio.run(dashboard.seed_year(url, SLUG, args.purchases))
        report["purchases_seeded_s"] = round(time.perf_counter() - started, 1)
    partner_id, staff = asyncio.run(_staff(url, settings.redis_url))
    with Api(plain(url), settings.redis_url, args.workers, args.pool_size, {}) as api:
        portal = Portal(f"http://127.0.0.1:{api.port}", staff, tokens[0], cards, partner_id)
        for name, measure in PAGES.items():
            result = summary(measure(portal, args.requests))
            report[name] = result
            print(
                f"{name}: page p50 {result['page_ms']['p50']} ms, p95 {result['page_ms']['p95']} ms; "
                f"API p50 {result['api_ms']['p50']} ms, p95 {result['api_ms']['p95']} ms (baseline); "
                f"page / API (p50) {result['ratio_p50']}x ({result['requests']} each)",
                flush=True,
            )
    return report


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench portal", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--history", type=int, default=1_000_000, help="ledger entries of past trade; 0: none")
    parser.add_argument("--purchases", type=int, default=100_000, help="receipts over the last year; 0: none")
    parser.add_argument("--requests", type=int, default=300, help="measured requests of each kind")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--pool-size", type=int, default=8)
    sizes = parser.add_mutually_exclusive_group()
    sizes.add_argument("--quick", action="store_true",
                       help="a smoke run: 2,000 members, little history, 10,000 purchases, 50 requests")  # fmt: skip
    sizes.add_argument("--full-year", action="store_true",
                       help="100,000 members and a year of 1.2 million purchases (one a member a month)")  # fmt: skip
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "portal.json")
    args = parser.parse_args(argv)
    if args.quick:
        args.members, args.history, args.requests = 2_000, min(args.history, 50_000), 50
        args.purchases = min(args.purchases, 10_000)
    if args.full_year:
        args.members, args.purchases = 100_000, 1_200_000
    with resolved(Settings()) as settings:
        report = run(settings, args)
    args.out.parent.mkdir(exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(f"written to {args.out}")
