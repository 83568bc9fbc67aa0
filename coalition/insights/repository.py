"""Purchases' SQL: the receipt import's staging tables, loaded by COPY, and
the set-based inserts that move them into ``purchases`` and ``purchase_lines``."""

from __future__ import annotations

import io
import uuid
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from coalition.platform.runtime.database import Executor

# Dropped when the import's transaction ends, committed or not.
_STAGING = (
    """CREATE TEMP TABLE import_receipts (
         receipt_no integer NOT NULL, shop text NOT NULL, receipt text NOT NULL, card text NOT NULL,
         occurred_at timestamptz NOT NULL, total_minor bigint NOT NULL, first_row integer NOT NULL,
         partner_id uuid, member_id uuid, purchase_id uuid NOT NULL DEFAULT coalition_uuid7()
       ) ON COMMIT DROP""",
    """CREATE TEMP TABLE import_lines (
         receipt_no integer NOT NULL, line_no integer NOT NULL, sku text NOT NULL, category text,
         quantity numeric NOT NULL, amount_minor bigint NOT NULL
       ) ON COMMIT DROP""",
)
RECEIPT_COLUMNS = (
    "receipt_no",
    "shop",
    "receipt",
    "card",
    "occurred_at",
    "total_minor",
    "first_row",
    "partner_id",
    "member_id",
)
LINE_COLUMNS = ("receipt_no", "line_no", "sku", "category", "quantity", "amount_minor")

_PARTNERS_BY_REFERENCE = text(
    "SELECT lower(reference), id FROM partners WHERE coalition_id = :coalition AND lower(reference) = ANY(:references)"
)
_MEMBERS_BY_CARD = text(
    "SELECT card_number, id FROM members WHERE coalition_id = :coalition AND card_number = ANY(:cards)"
)
# Shops and members are resolved before staging (a few hundred shops, one
# lookup of the file's distinct cards): the statements below join nothing
# but the staging tables, whatever the planner believes of partners and members.
_INSERT = text(
    """WITH inserted AS (
         INSERT INTO purchases (member_id, id, coalition_id, partner_id, source, receipt_ref, total_minor,
             occurred_at, local_date)
         SELECT member_id, purchase_id, :coalition, partner_id, 'IMPORT', receipt, total_minor, occurred_at,
                (occurred_at AT TIME ZONE :timezone)::date
           FROM import_receipts
          WHERE partner_id IS NOT NULL AND member_id IS NOT NULL
         ON CONFLICT (partner_id, receipt_ref) WHERE source = 'IMPORT' DO NOTHING
         RETURNING member_id, id
       ), lines AS (
         INSERT INTO purchase_lines (member_id, purchase_id, line_no, sku, category, quantity, amount_minor)
         SELECT i.member_id, i.id, l.line_no, l.sku, nullif(l.category, ''), l.quantity, l.amount_minor
           FROM inserted i
           JOIN import_receipts r ON r.purchase_id = i.id
           JOIN import_lines l ON l.receipt_no = r.receipt_no
         RETURNING 1
       )
     SELECT (SELECT count(*) FROM import_receipts WHERE partner_id IS NOT NULL AND member_id IS NOT NULL)
              AS matched,
            (SELECT count(*) FROM inserted) AS receipts, (SELECT count(*) FROM lines) AS lines"""
)
_MATCHED_RECEIPTS = text(
    """SELECT partner_id, receipt, card, occurred_at, total_minor, receipt_no FROM import_receipts
        WHERE partner_id IS NOT NULL AND member_id IS NOT NULL ORDER BY receipt_no"""
)
_LINES = text("SELECT receipt_no, sku, category, quantity, amount_minor FROM import_lines ORDER BY receipt_no, line_no")


async def create_staging(connection: Executor) -> None:
    for statement in _STAGING:
        await connection.execute(text(statement))


async def copy_staging(connection: AsyncConnection, receipts_csv: bytes, lines_csv: bytes) -> None:
    """Loads the staging tables from CSV (no header) with COPY, then gives the
    planner their sizes for the joins that follow."""
    raw = await connection.get_raw_connection()
    driver: Any = raw.driver_connection
    await driver.copy_to_table(
        "import_receipts", source=io.BytesIO(receipts_csv), columns=list(RECEIPT_COLUMNS), format="csv"
    )
    await driver.copy_to_table("import_lines", source=io.BytesIO(lines_csv), columns=list(LINE_COLUMNS), format="csv")
    await connection.execute(text("ANALYZE import_receipts"))
    await connection.execute(text("ANALYZE import_lines"))


async def partners_by_reference(
    connection: Executor, coalition_id: uuid.UUID, references: list[str]
) -> dict[str, uuid.UUID]:
    """The coalition's partners among ``references`` (lower case), by lower-case reference."""
    rows = await connection.execute(_PARTNERS_BY_REFERENCE, {"coalition": coalition_id, "references": references})
    return {reference: partner_id for reference, partner_id in rows}


async def members_by_card(connection: Executor, coalition_id: uuid.UUID, cards: list[str]) -> dict[str, uuid.UUID]:
    rows = await connection.execute(_MEMBERS_BY_CARD, {"coalition": coalition_id, "cards": cards})
    return {card: member_id for card, member_id in rows}


async def insert_staged(connection: Executor, coalition_id: uuid.UUID, timezone: str) -> tuple[int, int, int]:
    """The staged receipts of known shops and members, with their lines, that
    are not there yet: (receipts matched, receipts added, lines added)."""
    row = (await connection.execute(_INSERT, {"coalition": coalition_id, "timezone": timezone})).one()
    return int(row.matched), int(row.receipts), int(row.lines)


async def matched_receipts(connection: Executor, coalition_id: uuid.UUID) -> list[Any]:
    """The staged receipts of known shops and members, with their partner, in file order."""
    return list((await connection.execute(_MATCHED_RECEIPTS, {"coalition": coalition_id})).all())


async def staged_lines(connection: Executor) -> list[Any]:
    return list((await connection.execute(_LINES)).all())
