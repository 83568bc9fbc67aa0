"""The receipt import: a checked file (``receipts_file``) staged with COPY
and moved into the purchases in a few set-based statements.

History mode records purchases for insights and nothing else. Award mode
(the till's earn for each receipt) is the caller's to run with what
``awardable`` returns: points are the partners' business, not this package's.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from coalition.insights import repository
from coalition.insights.receipt_rows import BadRow
from coalition.insights.receipts_file import ReceiptsFile
from coalition.platform.errors import DomainError
from coalition.platform.members import service as members
from coalition.platform.runtime.database import AsyncSession

_NO_HEADER = pa_csv.WriteOptions(include_header=False)


@dataclass
class ImportSummary:
    """What an import did, for the command's report (and ``--json``)."""

    good_lines: int
    good_receipts: int
    bad_rows: list[BadRow]
    skipped_bad_receipts: int
    unknown_shops: list[str] = field(default_factory=list)
    unknown_cards: list[str] = field(default_factory=list)
    enrolled_cards: list[str] = field(default_factory=list)
    # Receipts of known shops whose card is known (or was enrolled): the ones imported or awarded.
    matched_receipts: int = 0
    imported_receipts: int = 0
    imported_lines: int = 0
    already_imported: int = 0
    awarded: int = 0
    already_awarded: int = 0
    award_refusals: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "goodLines": self.good_lines,
            "goodReceipts": self.good_receipts,
            "badRows": [{"row": bad.row, "reason": bad.reason} for bad in self.bad_rows],
            "skippedBadReceipts": self.skipped_bad_receipts,
            "unknownShops": self.unknown_shops,
            "unknownCards": self.unknown_cards,
            "enrolledCards": self.enrolled_cards,
            "matchedReceipts": self.matched_receipts,
            "importedReceipts": self.imported_receipts,
            "importedLines": self.imported_lines,
            "alreadyImported": self.already_imported,
            "awarded": self.awarded,
            "alreadyAwarded": self.already_awarded,
            "awardRefusals": self.award_refusals,
        }


def summary_of(checked: ReceiptsFile) -> ImportSummary:
    return ImportSummary(
        good_lines=checked.line_count,
        good_receipts=checked.receipt_count,
        bad_rows=checked.bad_rows,
        skipped_bad_receipts=checked.skipped_receipts,
    )


@dataclass
class Resolved:
    """The file's shops and cards as the coalition knows them."""

    partners: dict[str, uuid.UUID]  # by lower-case reference
    members: dict[str, uuid.UUID]  # by card


async def resolve(
    session: AsyncSession, checked: ReceiptsFile, summary: ImportSummary, coalition_id: uuid.UUID
) -> Resolved:
    """Which of the file's shops and cards the coalition knows; the rest are
    listed. Only cards of receipts at known shops count: the others are skipped anyway."""
    shops = checked.lines.column("shop")
    lower_shops = pc.utf8_lower(shops)
    partners = await repository.partners_by_reference(session, coalition_id, pc.unique(lower_shops).to_pylist())
    summary.unknown_shops = sorted(shop for shop in pc.unique(shops).to_pylist() if shop.lower() not in partners)
    at_known_shops = pc.is_in(lower_shops, value_set=pa.array(list(partners), type=pa.string()))
    cards = pc.unique(pc.filter(checked.lines.column("card"), at_known_shops)).to_pylist()
    members = await repository.members_by_card(session, coalition_id, cards)
    summary.unknown_cards = sorted(card for card in cards if card not in members)
    return Resolved(partners, members)


def staging_csv(checked: ReceiptsFile, resolved: Resolved) -> tuple[bytes, bytes]:
    """The good receipts (with their partner and member, when known) and
    their lines as COPY input, numbered so the lines find their receipt
    without comparing text keys."""
    lines, starts = checked.lines, checked.starts
    count = checked.receipt_count
    ends = np.r_[starts[1:], lines.num_rows] if count else np.array([], dtype=np.int64)
    lengths = ends - starts
    receipt_no = np.repeat(np.arange(count, dtype=np.int64), lengths)
    line_no = np.arange(lines.num_rows, dtype=np.int64) - np.repeat(starts, lengths) + 1
    heads = lines.take(pa.array(starts, type=pa.int64()))
    amounts = lines.column("amount_minor").combine_chunks().to_numpy(zero_copy_only=False)
    totals = np.add.reduceat(amounts, starts) if count else np.array([], dtype=np.int64)
    receipts = pa.table(
        {
            "receipt_no": pa.array(np.arange(count, dtype=np.int64)),
            "shop": heads.column("shop"),
            "receipt": heads.column("receipt"),
            "card": heads.column("card"),
            "occurred_at": heads.column("occurred_at"),
            "total_minor": pa.array(totals, type=pa.int64()),
            "first_row": heads.column("row"),
            "partner_id": pa.array(
                [_text(resolved.partners.get(shop.lower())) for shop in heads.column("shop").to_pylist()], pa.string()
            ),
            "member_id": pa.array(
                [_text(resolved.members.get(card)) for card in heads.column("card").to_pylist()], pa.string()
            ),
        }
    )
    staged_lines = pa.table(
        {
            "receipt_no": pa.array(receipt_no),
            "line_no": pa.array(line_no),
            "sku": lines.column("sku"),
            "category": lines.column("category"),
            "quantity": lines.column("quantity"),
            "amount_minor": lines.column("amount_minor"),
        }
    )
    return _csv(receipts), _csv(staged_lines)


def _text(value: uuid.UUID | None) -> str | None:
    return None if value is None else str(value)


def _csv(table: pa.Table) -> bytes:
    # COPY reads "2017-03-04 09:15:00.000000Z" as that UTC time; pyarrow writes timestamps so.
    sink = pa.BufferOutputStream()
    pa_csv.write_csv(table, sink, _NO_HEADER)
    return bytes(sink.getvalue().to_pybytes())


async def stage(session: AsyncSession, checked: ReceiptsFile, resolved: Resolved) -> None:
    """The file's good receipts into the transaction's staging tables, by COPY."""
    connection = await session.connection()
    await repository.create_staging(connection)
    receipts_csv, lines_csv = staging_csv(checked, resolved)
    await repository.copy_staging(connection, receipts_csv, lines_csv)


async def enrol_unknown(
    session: AsyncSession, summary: ImportSummary, resolved: Resolved, coalition_id: uuid.UUID
) -> None:
    """Enrols the unknown cards through the members service (with its rules:
    a welcome bonus, a card number it accepts). A card it refuses stays unknown."""
    still_unknown = []
    for card in summary.unknown_cards:
        try:
            async with session.begin_nested():
                member = await members.enrol(
                    session,
                    coalition_id=coalition_id,
                    scope_id=coalition_id,
                    partner_id=None,
                    request=members.Enrolment(
                        idempotency_key=_key("enrol", card), card_number=card, email=None, phone=None, birth_date=None
                    ),
                )
        except DomainError:
            still_unknown.append(card)
        else:
            summary.enrolled_cards.append(card)
            resolved.members[card] = member.id
    summary.unknown_cards = still_unknown


async def import_history(session: AsyncSession, summary: ImportSummary, coalition_id: uuid.UUID, timezone: str) -> None:
    """The staged receipts of known shops and members into the purchases; those already there are left alone."""
    matched, receipts, lines = await repository.insert_staged(session, coalition_id, timezone)
    summary.matched_receipts = matched
    summary.imported_receipts = receipts
    summary.imported_lines = lines
    summary.already_imported = matched - receipts


@dataclass(frozen=True)
class AwardableReceipt:
    partner_id: uuid.UUID
    receipt: str
    card: str
    occurred_at: datetime
    total_minor: int
    idempotency_key: str
    # (sku, category, quantity, amount_minor) per line.
    lines: tuple[tuple[str, str | None, Any, int], ...]


async def awardable(session: AsyncSession, summary: ImportSummary, coalition_id: uuid.UUID) -> list[AwardableReceipt]:
    """The staged receipts of known shops and members, each with the
    idempotency key its earn is posted under: the same for the same (shop, receipt)."""
    receipts = await repository.matched_receipts(session, coalition_id)
    summary.matched_receipts = len(receipts)
    by_receipt: dict[int, list[tuple[str, str | None, Any, int]]] = {}
    for line in await repository.staged_lines(session):
        by_receipt.setdefault(line.receipt_no, []).append(
            (line.sku, line.category or None, line.quantity, line.amount_minor)
        )
    return [
        AwardableReceipt(
            partner_id=r.partner_id,
            receipt=r.receipt,
            card=r.card,
            occurred_at=r.occurred_at,
            total_minor=r.total_minor,
            idempotency_key=_key("award", str(r.partner_id), r.receipt),
            lines=tuple(by_receipt.get(r.receipt_no, ())),
        )
        for r in receipts
    ]


def _key(*parts: str) -> str:
    """An idempotency key for the import's own requests: printable, short, the same for the same parts."""
    return "import-" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:48]
