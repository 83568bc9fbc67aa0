"""``coalition import receipts`` against real PostgreSQL: rows land as the
file says, once; bad rows, unknown shops and unknown cards are listed and
their receipts skipped; Parquet reads as CSV does; award mode earns once."""

from __future__ import annotations

import csv
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import func, select, text

from coalition.cli.importing import import_receipts
from coalition.insights.tables import purchase_lines, purchases
from coalition.platform.ledger.tables import transactions
from coalition.platform.members.tables import members
from coalition.platform.runtime.settings import Settings
from tests.support.town import Town

HEADER = ["receipt", "shop", "card", "occurred_at", "sku", "category", "quantity", "amount"]


async def _town_with_shops(town: Town) -> tuple[str, dict[str, uuid.UUID], dict[str, str]]:
    """The coalition's slug, shops 'BAKERY' and 'butcher' by reference, two members by name."""
    shops = {}
    for reference in ("BAKERY", "butcher"):
        shop, _ = await town.partner(reference.title())
        async with town.sessions.begin() as session:
            await session.execute(
                text("UPDATE partners SET reference = :r WHERE id = :id"), {"r": reference, "id": shop}
            )
        shops[reference.lower()] = shop
    cards = {name: (await town.member(shops["bakery"]))[1] for name in ("ann", "bob")}
    async with town.engine.connect() as connection:
        slug = await connection.scalar(text("SELECT slug FROM coalitions WHERE id = :id"), {"id": town.coalition_id})
    return slug, shops, cards


def _rows(cards: dict[str, str]) -> list[list[str]]:
    ann, bob = cards["ann"], cards["bob"]
    return [
        ["r1", "bakery", ann, "2024-03-04T23:30:00+00:00", "bread", "bread", "2", "2.50"],
        ["r1", "bakery", ann, "2024-03-04T23:30:00+00:00", "cake", "", "1", "3.00"],
        ["r1", "bakery", ann, "2024-03-04T23:30:00+00:00", "cake", "", "1", "-1.00"],
        ["r2", "Butcher", bob, "2024-03-05T10:00:00+01:00", "steak", "meat", "0.5", "7.25"],
    ]


def _write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


async def _purchases(town: Town) -> list[Any]:
    async with town.engine.connect() as connection:
        return list(
            (
                await connection.execute(
                    select(purchases)
                    .where(purchases.c.coalition_id == town.coalition_id)
                    .order_by(purchases.c.receipt_ref)
                )
            ).all()
        )


async def _lines_of(town: Town, purchase_id: uuid.UUID) -> list[tuple[Any, ...]]:
    async with town.engine.connect() as connection:
        rows = await connection.execute(
            select(purchase_lines.c.line_no, purchase_lines.c.sku, purchase_lines.c.category,
                   purchase_lines.c.quantity, purchase_lines.c.amount_minor)
            .where(purchase_lines.c.purchase_id == purchase_id)
            .order_by(purchase_lines.c.line_no)
        )  # fmt: skip
        return [tuple(row) for row in rows]


async def test_a_small_file_lands_as_written_and_a_second_import_adds_nothing(
    town: Town, settings: Settings, tmp_path: Path
) -> None:
    slug, shops, cards = await _town_with_shops(town)
    file = _write_csv(tmp_path / "receipts.csv", _rows(cards))

    first = await import_receipts(settings, file, slug, mode="history", enrol_unknown=False)
    kept = await _purchases(town)
    second = await import_receipts(settings, file, slug, mode="history", enrol_unknown=False)

    assert (first.imported_receipts, first.imported_lines, first.already_imported) == (2, 4, 0)
    assert (second.imported_receipts, second.imported_lines, second.already_imported) == (0, 0, 2)
    assert await _purchases(town) == kept
    r1, r2 = kept
    assert (r1.partner_id, r1.source, r1.transaction_id, r1.total_minor) == (shops["bakery"], "IMPORT", None, 450)
    # 23:30 UTC on the 4th is the 5th in Amsterdam, the coalition's time zone.
    assert r1.local_date == date(2024, 3, 5)
    assert (r2.partner_id, r2.receipt_ref, r2.total_minor, r2.local_date) == (
        shops["butcher"],
        "r2",
        725,
        date(2024, 3, 5),
    )
    assert await _lines_of(town, r1.id) == [
        (1, "bread", "bread", 2, 250),
        (2, "cake", None, 1, 300),
        (3, "cake", None, 1, -100),
    ]
    assert await _lines_of(town, r2.id) == [(1, "steak", "meat", 0.5, 725)]


async def test_bad_rows_are_listed_by_row_number_and_their_receipts_skipped_whole(
    town: Town, settings: Settings, tmp_path: Path
) -> None:
    slug, _, cards = await _town_with_shops(town)
    rows = _rows(cards)
    rows[1][6] = "lots"  # row 3 (the header is row 1): a quantity that is not a number
    rows.append(["r3", "bakery", cards["bob"], "2024-03-06T10:00:00", "bun", "bread", "1", "1.00"])  # no offset
    file = _write_csv(tmp_path / "receipts.csv", rows)

    summary = await import_receipts(settings, file, slug, mode="history", enrol_unknown=False)

    assert [bad.row for bad in summary.bad_rows] == [3, 6]
    assert "quantity" in summary.bad_rows[0].reason
    assert summary.skipped_bad_receipts == 2
    assert [p.receipt_ref for p in await _purchases(town)] == ["r2"]


async def test_unknown_shops_and_cards_are_listed_and_skipped_or_the_cards_enrolled(
    town: Town, settings: Settings, tmp_path: Path
) -> None:
    slug, _, cards = await _town_with_shops(town)
    rows = [
        *_rows(cards),
        ["r4", "florist", cards["ann"], "2024-03-06T10:00:00+01:00", "rose", "flowers", "1", "2.00"],
        ["r5", "bakery", "NEW-CARD-0001", "2024-03-06T10:00:00+01:00", "bun", "bread", "1", "1.00"],
    ]
    file = _write_csv(tmp_path / "receipts.csv", rows)

    listed = await import_receipts(settings, file, slug, mode="history", enrol_unknown=False)
    enrolled = await import_receipts(settings, file, slug, mode="history", enrol_unknown=True)

    assert (listed.unknown_shops, listed.unknown_cards, listed.imported_receipts) == (["florist"], ["NEW-CARD-0001"], 2)
    assert (enrolled.unknown_shops, enrolled.unknown_cards) == (["florist"], [])
    assert (enrolled.enrolled_cards, enrolled.imported_receipts, enrolled.already_imported) == (["NEW-CARD-0001"], 1, 2)
    async with town.engine.connect() as connection:
        new_member = await connection.scalar(
            select(members.c.id).where(
                members.c.coalition_id == town.coalition_id, members.c.card_number == "NEW-CARD-0001"
            )
        )
    assert [(p.receipt_ref, p.member_id == new_member) for p in await _purchases(town)] == [
        ("r1", False), ("r2", False), ("r5", True),
    ]  # fmt: skip


async def test_parquet_imports_as_the_same_csv_does(town: Town, settings: Settings, tmp_path: Path) -> None:
    slug, _, cards = await _town_with_shops(town)
    rows = _rows(cards)
    parquet = tmp_path / "receipts.parquet"
    pq.write_table(pa.table({name: [row[i] for row in rows] for i, name in enumerate(HEADER)}), parquet)

    from_parquet = await import_receipts(settings, parquet, slug, mode="history", enrol_unknown=False)
    from_csv = await import_receipts(
        settings, _write_csv(tmp_path / "r.csv", rows), slug, mode="history", enrol_unknown=False
    )

    assert (from_parquet.imported_receipts, from_parquet.imported_lines) == (2, 4)
    assert (from_csv.imported_receipts, from_csv.already_imported) == (0, 2)


async def test_award_mode_earns_each_receipt_once_at_its_shop(town: Town, settings: Settings, tmp_path: Path) -> None:
    slug, shops, cards = await _town_with_shops(town)
    file = _write_csv(tmp_path / "receipts.csv", _rows(cards))

    first = await import_receipts(settings, file, slug, mode="award", enrol_unknown=False)
    second = await import_receipts(settings, file, slug, mode="award", enrol_unknown=False)

    assert (first.awarded, first.already_awarded, first.award_refusals) == (2, 0, [])
    assert (second.awarded, second.already_awarded) == (0, 2)
    async with town.engine.connect() as connection:
        earns = (
            await connection.execute(
                select(transactions.c.partner_id, transactions.c.purchase_minor, transactions.c.receipt_ref)
                .where(transactions.c.coalition_id == town.coalition_id, transactions.c.kind == "EARN")
                .order_by(transactions.c.receipt_ref)
            )
        ).all()
        kept = await connection.scalar(
            select(func.count()).select_from(purchases).where(purchases.c.coalition_id == town.coalition_id)
        )
    assert [tuple(e) for e in earns] == [(shops["bakery"], 450, "r1"), (shops["butcher"], 725, "r2")]
    assert kept == 2  # each earn keeps its receipt, once
    assert await town.ledger_violations() == []


async def test_an_import_of_many_days_leaves_the_rollups_vacuumed(
    town: Town, settings: Settings, tmp_path: Path
) -> None:
    """Its rollup is a catch-up of many days: the new pages are marked all-visible
    at its end, so reports count members from the indexes (not after autovacuum's
    next visit, which waits for a fifth of a table to be new)."""
    slug, _, cards = await _town_with_shops(town)
    first_day = datetime(2024, 1, 1, 10, tzinfo=UTC)
    rows = [
        [
            f"v{day}",
            "bakery",
            cards["ann"],
            (first_day + timedelta(days=day)).isoformat(),
            "bread",
            "bread",
            "1",
            "2.00",
        ]
        for day in range(70)
    ]
    async with town.engine.connect() as connection:
        started = await connection.scalar(text("SELECT now()"))
    await import_receipts(settings, _write_csv(tmp_path / "days.csv", rows), slug, mode="history", enrol_unknown=False)
    async with town.engine.connect() as connection:
        vacuumed = await connection.scalar(
            text("SELECT last_vacuum FROM pg_stat_user_tables WHERE relname = 'insight_member_firsts'")
        )
    assert vacuumed is not None
    assert vacuumed >= started
