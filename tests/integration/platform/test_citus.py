"""The ledger on a Citus cluster: distributed by member, the same guarantees.

Skipped unless COALITION_CITUS_URL names a Citus coordinator with workers
(`.ci/citus` builds one, starts it, runs this module and stops it). The
cluster's own database is used as it is: Citus keeps its metadata per
database, so a fresh database per run would have no workers.
"""

from __future__ import annotations

import asyncio
import csv
import os
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from coalition.cli.importing import import_receipts
from coalition.partners.earning.till import BasketLine, TillSetups, earn_points
from coalition.platform.errors import DomainError, ErrorCode
from coalition.platform.ledger.group_commit import MAX_BATCH
from coalition.platform.ledger.repository import PostingGateway
from coalition.platform.ledger.service import LedgerService
from coalition.platform.runtime import migrate
from coalition.platform.runtime.database import create_engine
from coalition.platform.runtime.distribute import MEMBER_TABLES, REFERENCE_TABLES, distribute
from coalition.platform.runtime.settings import Settings
from coalition.settlement import service as settlement
from coalition.settlement.rules import FundingModel
from tests.support.databases import admin_sql
from tests.support.insight_history import HEADER, History
from tests.support.settlement import post_hand_computed_day, run_figures
from tests.support.time_passing import business_date_now
from tests.support.town import Town

CITUS_URL = os.environ.get("COALITION_CITUS_URL")
pytestmark = pytest.mark.skipif(not CITUS_URL, reason="COALITION_CITUS_URL is not set (see .ci/citus)")


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    assert CITUS_URL is not None
    # Test-only time travel turns triggers off with SET LOCAL; the shards must see it too.
    admin_sql(CITUS_URL, "ALTER DATABASE postgres SET citus.propagate_set_commands = 'local'")
    migrate.upgrade(CITUS_URL)
    layout = distribute(CITUS_URL)
    assert layout.workers == 2
    return Settings(
        database_url=CITUS_URL,
        redis_url=os.environ.get("COALITION_REDIS_URL", "redis://127.0.0.1:6379/0"),
        data_dir=Path(tmp_path_factory.mktemp("citus")),
        auth_cache_seconds=0,
    )


@pytest.fixture(scope="module")
def database_url(settings: Settings) -> str:
    assert settings.database_url is not None
    return settings.database_url


@pytest.fixture(scope="module")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url, pool_size=20)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="module")
def ledger(engine: AsyncEngine) -> LedgerService:
    return LedgerService(PostingGateway(engine))


@pytest.fixture(scope="module")
def till_setups(engine: AsyncEngine) -> TillSetups:
    return TillSetups(engine, ttl=0.001)


@pytest.fixture
async def town(engine: AsyncEngine, ledger: LedgerService, till_setups: TillSetups) -> Town:
    return await Town(engine, ledger, till_setups).create()


async def test_the_ledger_is_distributed_by_member_and_configuration_replicated(engine) -> None:
    async with engine.connect() as c:
        rows = await c.execute(
            text(
                "SELECT table_name::text AS name, citus_table_type AS kind, colocation_id,"
                " distribution_column AS col FROM citus_tables"
            )
        )
        layout = {r.name: r for r in rows}
        placements = await c.scalar(
            text("SELECT count(DISTINCT nodeport) FROM pg_dist_shard_placement WHERE shardid IN"
                 " (SELECT shardid FROM pg_dist_shard WHERE logicalrelid = 'ledger_entries'::regclass)")
        )  # fmt: skip
    assert {layout[t].col for t in MEMBER_TABLES} == {"member_id"}
    assert len({layout[t].colocation_id for t in MEMBER_TABLES}) == 1
    assert {layout[t].kind for t in REFERENCE_TABLES} == {"reference"}
    assert layout["idempotency_keys"].col == "scope_id"
    assert {"purchases", "purchase_lines"} <= set(MEMBER_TABLES)
    # Claims on imported receipts are unique per shop, whoever's card: by partner, with the keys.
    assert layout["purchase_receipts"].col == "partner_id"
    assert layout["purchase_receipts"].colocation_id == layout["idempotency_keys"].colocation_id
    assert placements == 2


async def test_racing_redemptions_never_overdraw_a_wallet(town) -> None:
    shop, _ = await town.partner(rate="1")
    other, _ = await town.partner("Other", rate="1")
    _, card = await town.member(shop)
    await town.earn(shop, card, "130")
    await town.earn(other, card, "120")

    async def attempt(n: int):
        try:
            return await town.redeem(shop if n % 2 else other, card, 10)
        except DomainError as refused:
            return refused.code

    results = await asyncio.gather(*(attempt(n) for n in range(30)))
    succeeded = [r for r in results if not isinstance(r, ErrorCode)]
    assert len(succeeded) == 25
    assert {r for r in results if isinstance(r, ErrorCode)} == {ErrorCode.INSUFFICIENT_POINTS}
    assert min(r.balance for r in succeeded) == 0
    assert await town.ledger_violations() == []


async def test_copies_of_one_earn_post_once_and_a_changed_copy_conflicts(town) -> None:
    shop, _ = await town.partner(rate="1")
    _, card = await town.member(shop)
    results = await asyncio.gather(*(town.earn(shop, card, "42", key="same-receipt") for _ in range(10)))
    assert len({r.transaction_id for r in results}) == 1
    assert sum(r.outcome == "POSTED" for r in results) == 1
    with pytest.raises(DomainError) as conflict:
        await town.earn(shop, card, "43", key="same-receipt")
    assert conflict.value.code == ErrorCode.IDEMPOTENCY_CONFLICT
    # Another member, same key at the same partner: still the same key.
    _, other_card = await town.member(shop)
    with pytest.raises(DomainError) as across_members:
        await town.earn(shop, other_card, "42", key="same-receipt")
    assert across_members.value.code == ErrorCode.IDEMPOTENCY_CONFLICT


async def test_a_batch_spanning_members_on_both_workers_posts_each_earn_once(engine) -> None:
    # One posting slot: everything arriving while the first earn is on its way
    # goes in one batch, one distributed transaction over both workers.
    gateway = PostingGateway(engine, max_batch=MAX_BATCH, in_flight=1)
    town = await Town(engine, LedgerService(gateway), TillSetups(engine, ttl=600)).create()
    shop, _ = await town.partner(rate="1")
    members = [await town.member(shop) for _ in range(12)]
    await town.setups.get(shop)
    before = gateway.till_postings.batched_requests
    results = await asyncio.gather(*(town.earn(shop, card, str(10 + n)) for n, (_, card) in enumerate(members)))
    assert gateway.till_postings.batched_requests - before == 11
    assert [(p.outcome, p.member_id, p.balance) for p in results] == [
        ("POSTED", member_id, 10 + n) for n, (member_id, _) in enumerate(members)
    ]
    async with engine.connect() as c:
        workers = await c.scalar(
            text("SELECT count(DISTINCT nodeport) FROM pg_dist_shard_placement p JOIN pg_dist_shard s USING (shardid)"
                 " WHERE s.logicalrelid = 'wallets'::regclass AND s.shardid = ANY(:shards)"),
            {"shards": [await c.scalar(text("SELECT get_shard_id_for_distribution_column('wallets', CAST(:m AS uuid))"), {"m": m})
                        for m, _ in members]},
        )  # fmt: skip
    assert workers == 2
    assert await town.ledger_violations() == []


async def test_earn_redeem_reverse_in_any_order_keep_every_invariant(town) -> None:
    shops = [(await town.partner(f"S{n}", rate=str(n + 1)))[0] for n in range(3)]
    cards = [(await town.member(shops[0]))[1] for _ in range(4)]
    earned = []
    for step in range(24):
        shop, card = shops[step % 3], cards[step % 4]
        if step % 3 == 2:
            try:
                await town.redeem(shop, card, 7 + step)
            except DomainError as refused:
                assert refused.code == ErrorCode.INSUFFICIENT_POINTS
        else:
            earned.append((shop, await town.earn(shop, card, str(Decimal(step) + Decimal("3.5")))))
    for shop, posting in earned[::4]:
        try:
            await town.reverse(shop, posting.transaction_id, 1)
        except DomainError as refused:  # the points were spent meanwhile
            assert refused.code == ErrorCode.INSUFFICIENT_POINTS
    assert await town.ledger_violations() == []


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger_transactions SET points = 1000 WHERE member_id = :m",
        "DELETE FROM ledger_entries WHERE member_id = :m",
        "UPDATE wallets SET balance = 1000 WHERE member_id = :m",
        "UPDATE lots SET remaining = 1000 WHERE member_id = :m",
    ],
)
async def test_the_shards_refuse_what_would_break_the_ledger(town, statement: str) -> None:
    shop, _ = await town.partner()
    member_id, card = await town.member(shop)
    await town.earn(shop, card, "10")
    with pytest.raises(DBAPIError, match=r"immutable|maintained|sum to|balance"):
        async with town.engine.begin() as c:
            await c.execute(text(statement), {"m": member_id})
    assert await town.ledger_violations() == []


async def test_an_unbalanced_entry_is_never_stored(town) -> None:
    shop, _ = await town.partner()
    member_id, card = await town.member(shop)
    await town.earn(shop, card, "10")
    # The deferred balance and wallet checks run on the worker when it commits.
    # A transaction that wrote to one worker only is committed there after the
    # coordinator's own commit, and Citus reports that refusal as a WARNING,
    # not an error: the row is refused all the same (deploy/README.md).
    try:
        async with town.engine.begin() as c:
            await c.execute(
                text(
                    "INSERT INTO ledger_entries (member_id, transaction_id, line, on_wallet, amount)"
                    " SELECT :m, id, 9, true, 5 FROM ledger_transactions WHERE member_id = :m"
                ),
                {"m": member_id},
            )
    except DBAPIError as refused:
        assert "sum to" in str(refused) or "differs" in str(refused)
    async with town.engine.connect() as c:
        stored = await c.scalar(text("SELECT count(*) FROM ledger_entries WHERE member_id = :m AND line = 9"),
                                {"m": member_id})  # fmt: skip
    assert stored == 0
    assert await town.ledger_violations() == []


async def test_a_day_settles_on_the_cluster_and_nets_to_zero(town) -> None:
    a, b, c = await post_hand_computed_day(town)
    async with town.sessions.begin() as session:
        await settlement.set_policy(
            session, town.operator, settlement.PolicySpec(FundingModel.AT_REDEMPTION, breakage_percent=Decimal(50))
        )
        run = await settlement.run_day(session, town.coalition_id, await business_date_now(town))
    lines, obligations = await run_figures(town, run)
    # The figures worked out by hand for the single-database settlement tests.
    assert obligations == {
        (None, b, "CROSS_REDEMPTION", 30, 30),
        (a, b, "CROSS_REDEMPTION", 170, 170),
        (None, a, "CROSS_REDEMPTION", 30, 30),
        (b, a, "CROSS_REDEMPTION", 120, 120),
        (b, c, "CROSS_REDEMPTION", 50, 50),
        (c, None, "FEE", 50, 1),
        (a, None, "FEE", 450, 45),
        (c, None, "BREAKAGE", 100, 50),
    }
    assert sum(line[-1] for line in lines.values()) == 0
    assert await town.ledger_violations() == []


async def test_an_earn_keeps_its_basket_on_its_members_shard(town) -> None:
    shop, _ = await town.partner(rate="1")
    member_id, card = await town.member(shop)
    basket = [BasketLine("bread", "bakery", 2, Decimal("2.50")), BasketLine("cake", None, 1, Decimal("3.00"))]
    posting = await earn_points(
        town.ledger, town.setups, shop, idempotency_key=uuid.uuid4().hex, card_number=card,
        amount=Decimal("8.00"), receipt_ref="till-1", lines=basket, occurred_at=None,
    )  # fmt: skip
    assert (posting.outcome, posting.balance) == ("POSTED", 8)
    async with town.engine.connect() as c:
        kept = (
            await c.execute(
                text("SELECT id, source, transaction_id, receipt_ref, total_minor FROM purchases WHERE member_id = :m"),
                {"m": member_id},
            )
        ).one()
        lines = (
            await c.execute(
                text("SELECT line_no, sku, category, quantity, amount_minor FROM purchase_lines"
                     " WHERE member_id = :m AND purchase_id = :p ORDER BY line_no"),
                {"m": member_id, "p": kept.id},
            )
        ).all()  # fmt: skip
        shards = await c.scalar(
            text("SELECT count(DISTINCT get_shard_id_for_distribution_column(t, CAST(:m AS uuid)) - s.first)"
                 " FROM unnest(CAST(:tables AS regclass[])) t,"
                 " LATERAL (SELECT min(shardid) AS first FROM pg_dist_shard WHERE logicalrelid = t) s"),
            {"m": member_id, "tables": ["wallets", "purchases", "purchase_lines"]},
        )  # fmt: skip
    assert (kept.source, kept.transaction_id, kept.receipt_ref, kept.total_minor) == (
        "TILL",
        posting.transaction_id,
        "till-1",
        800,
    )
    assert [tuple(line) for line in lines] == [(1, "bread", "bakery", 2, 500), (2, "cake", None, 1, 300)]
    assert shards == 1  # the same shard index of each co-located table
    assert await town.ledger_violations() == []


def _receipts_csv(path: Path, history: History, count: int, *, card_of: int = 0) -> Path:
    """``count`` receipts of two lines each, alternately at the two shops, spread over the members."""
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for n in range(count):
            card = history.members[(n + card_of) % len(history.members)][1]
            shop = ("bakery", "butcher")[n % 2]
            for sku in ("bread", "cake"):
                writer.writerow([f"r{n}", shop, card, "2024-03-04T10:00:00+00:00", sku, "food", "1", "2.50"])
    return path


async def test_a_receipt_import_run_twice_stores_each_receipt_once(town, settings: Settings, tmp_path: Path) -> None:
    history = await History.create(town, {"bakery": (None, True), "butcher": (None, True)}, members=6)
    file = _receipts_csv(tmp_path / "receipts.csv", history, 12)

    first = await import_receipts(settings, file, history.slug, mode="history", enrol_unknown=False)
    second = await import_receipts(settings, file, history.slug, mode="history", enrol_unknown=False)
    # The same receipts under other cards are still the shops' same receipts.
    other_cards = _receipts_csv(tmp_path / "other-cards.csv", history, 12, card_of=1)
    third = await import_receipts(settings, other_cards, history.slug, mode="history", enrol_unknown=False)

    assert (first.imported_receipts, first.imported_lines, first.already_imported) == (12, 24, 0)
    assert (second.imported_receipts, second.imported_lines, second.already_imported) == (0, 0, 12)
    assert (third.imported_receipts, third.already_imported) == (0, 12)
    async with town.engine.connect() as c:
        stored = (
            await c.execute(
                text("SELECT count(*) AS receipts, count(DISTINCT (partner_id, receipt_ref)) AS distinct_receipts,"
                     " count(DISTINCT member_id) AS members FROM purchases WHERE coalition_id = :c"),
                {"c": town.coalition_id},
            )
        ).one()  # fmt: skip
        lines = await c.scalar(
            text("SELECT count(*) FROM purchase_lines WHERE member_id = ANY(:m)"),
            {"m": [m for m, _ in history.members]},
        )
        claims = await c.scalar(
            text("SELECT count(*) FROM purchase_receipts WHERE partner_id = ANY(:p)"),
            {"p": list(history.shops.values())},
        )
    assert tuple(stored) == (12, 12, 6)
    assert (lines, claims) == (24, 12)


async def test_two_imports_of_one_file_racing_store_each_receipt_once(town, settings: Settings, tmp_path: Path) -> None:
    history = await History.create(town, {"bakery": (None, True), "butcher": (None, True)}, members=6)
    file = _receipts_csv(tmp_path / "receipts.csv", history, 40)

    racing = await asyncio.gather(
        *(import_receipts(settings, file, history.slug, mode="history", enrol_unknown=False) for _ in range(2))
    )

    assert sorted(r.imported_receipts for r in racing) == [0, 40]
    assert [r.imported_receipts + r.already_imported for r in racing] == [40, 40]
    async with town.engine.connect() as c:
        stored = await c.scalar(
            text("SELECT count(*) FROM purchases WHERE coalition_id = :c"), {"c": town.coalition_id}
        )
    assert stored == 40
