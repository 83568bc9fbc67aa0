"""Reading the receipt import file (CSV UTF-8 with a header, or Parquet), one row per receipt line.

``read_receipts_file`` reads the file in batches with pyarrow, checks every
value (``receipt_rows``) and every receipt as a whole (``receipt_groups``),
and returns the good receipts, ready to hand out in batches, with the bad
rows listed by their number as a spreadsheet shows them (the header is row
1) and the reason. A receipt with a bad row is skipped whole.

The whole file is held in memory while its receipts are put together (a
receipt's lines may be anywhere in it): about 150 bytes a line, so a file of
1.5 million lines needs some 250 MB.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from coalition.platform.errors import validation
from coalition.platform.money import exponent

from .model import Line
from .receipt_groups import group_receipts
from .receipt_rows import COLUMNS, LINE_SCHEMA, BadRow, check_rows

_PARQUET_MAGIC = b"PAR1"
_BLOCK_BYTES = 8 << 20
_FIRST_DATA_ROW = 2  # row 1 is the header
_MAX_HEADER_BYTES = 1 << 16
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class ImportedReceipt:
    shop: str
    receipt: str
    card: str
    occurred_at: datetime
    total_minor: int
    lines: tuple[Line, ...]
    first_row: int


@dataclass
class ReceiptsFile:
    """The file's good receipts and what was wrong with the rest."""

    lines: pa.Table  # shop, receipt, card, occurred_at, sku, category, quantity, amount_minor, row; by receipt
    starts: np.ndarray  # where each receipt's lines begin in ``lines``
    bad_rows: list[BadRow]
    skipped_receipts: int

    @property
    def receipt_count(self) -> int:
        return len(self.starts)

    @property
    def line_count(self) -> int:
        return int(self.lines.num_rows)

    def batches(self, receipts_per_batch: int = 10_000) -> Iterator[ReceiptBatch]:
        """The good receipts in slices of whole receipts; a loader that takes columns (e.g. COPY) reads
        ``lines``, one that takes Python values calls ``receipts()``."""
        ends = np.r_[self.starts[1:], self.line_count]
        for first in range(0, self.receipt_count, receipts_per_batch):
            last = min(first + receipts_per_batch, self.receipt_count)
            start, end = int(self.starts[first]), int(ends[last - 1])
            yield ReceiptBatch(self.lines.slice(start, end - start), self.starts[first:last] - start)


@dataclass
class ReceiptBatch:
    lines: pa.Table
    starts: np.ndarray

    def receipts(self) -> list[ImportedReceipt]:
        heads = self.lines.take(pa.array(self.starts))
        firsts = {name: heads.column(name).to_pylist() for name in ("shop", "receipt", "card", "row")}
        # Arrow hands out timestamps with a ZoneInfo each, slowly; the microseconds since the epoch are enough.
        micros = heads.column("occurred_at").cast(pa.int64()).to_pylist()
        ends = np.r_[self.starts[1:], self.lines.num_rows]
        sku, category, quantity, amount = (
            self.lines.column(name).to_pylist() for name in ("sku", "category", "quantity", "amount_minor")
        )
        receipts = []
        for index, (start, end) in enumerate(zip(self.starts.tolist(), ends.tolist(), strict=True)):
            lines = tuple(Line(sku[i], category[i], quantity[i], amount[i]) for i in range(start, end))
            receipts.append(
                ImportedReceipt(
                    shop=firsts["shop"][index],
                    receipt=firsts["receipt"][index],
                    card=firsts["card"][index],
                    occurred_at=_EPOCH + timedelta(microseconds=micros[index]),
                    total_minor=sum(amount[start:end]),
                    lines=lines,
                    first_row=firsts["row"][index],
                )
            )
        return receipts


def _check_header(names: list[str]) -> None:
    missing = [name for name in COLUMNS if name not in names]
    if missing:
        raise validation(f"the file has no column {', '.join(missing)}; it needs {', '.join(COLUMNS)}", "file")
    doubled = sorted({name for name in names if name in COLUMNS and names.count(name) > 1})
    if doubled:
        raise validation(f"the file has the column {', '.join(doubled)} more than once", "file")


def _csv_header(path: Path) -> list[str]:
    """The header's names, from the file's first line (a header has no line breaks inside quotes)."""
    with path.open("rb") as raw:
        first_line = raw.readline(_MAX_HEADER_BYTES)
    try:
        text = first_line.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise validation("the file's header is not UTF-8 text", "file") from exc
    try:
        return next(csv.reader([text.rstrip("\r\n")]), [])
    except csv.Error as exc:
        raise validation(f"the file's header cannot be read as CSV: {exc}", "file") from exc


def _csv_batches(path: Path) -> tuple[list[pa.RecordBatch], list[BadRow]]:
    """The CSV's records, each column as raw bytes, and the records with the wrong number of fields (those
    are not in the batches)."""
    header = _csv_header(path)
    _check_header(header)
    misshapen: list[BadRow] = []

    def skip(row: pa_csv.InvalidRow) -> str:
        if row.number is None:  # only known when parsing serially, as below
            raise validation("cannot tell the row numbers of this file", "file")
        reason = f"the row has {row.actual_columns} fields, the header {row.expected_columns}"
        misshapen.append(BadRow(row.number, reason))
        return "skip"

    reader = pa_csv.open_csv(
        path,
        read_options=pa_csv.ReadOptions(use_threads=False, block_size=_BLOCK_BYTES),
        parse_options=pa_csv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False, invalid_row_handler=skip),
        convert_options=pa_csv.ConvertOptions(
            include_columns=list(COLUMNS), column_types=dict.fromkeys(COLUMNS, pa.binary())
        ),
    )
    try:
        return list(reader), misshapen
    except pa.ArrowInvalid as exc:
        raise validation(f"the file cannot be read as CSV: {exc}", "file") from exc


def _parquet_batches(path: Path) -> list[pa.RecordBatch]:
    try:
        source = pq.ParquetFile(path)
        _check_header(source.schema_arrow.names)
        return list(source.iter_batches(batch_size=1 << 16, columns=list(COLUMNS)))
    except (pa.ArrowInvalid, OSError) as exc:
        raise validation(f"the file cannot be read as Parquet: {exc}", "file") from exc


def _row_numbers(records: int, misshapen: list[int]) -> np.ndarray:
    """The spreadsheet row of each record kept, given the rows of the records left out."""
    every = np.arange(_FIRST_DATA_ROW, _FIRST_DATA_ROW + records + len(misshapen), dtype=np.int64)
    return np.setdiff1d(every, np.array(misshapen, dtype=np.int64), assume_unique=True)


def read_receipts_file(path: Path, currency: str, *, not_after: datetime | None = None) -> ReceiptsFile:
    """Read, check and group the file's receipts; a line after ``not_after`` (e.g. now) is refused.

    The format is told by the content (Parquet starts with ``PAR1``), not the
    file's name. A file that cannot be read at all, or lacks a column, is a
    VALIDATION error; a bad row is listed and its receipt skipped.
    """
    with path.open("rb") as probe:
        is_parquet = probe.read(len(_PARQUET_MAGIC)) == _PARQUET_MAGIC
    bad: list[BadRow] = []
    misshapen: list[BadRow] = []
    if is_parquet:
        batches = _parquet_batches(path)
    else:
        batches, misshapen = _csv_batches(path)
    bad.extend(misshapen)
    rows = _row_numbers(sum(batch.num_rows for batch in batches), [row.row for row in misshapen])
    places = exponent(currency)
    good, bad_receipts, offset = [], set(), 0
    for batch in batches:
        checked = check_rows(batch, pa.array(rows[offset : offset + batch.num_rows]), currency, places, not_after)
        offset += batch.num_rows
        good.append(checked.good)
        bad.extend(checked.bad)
        bad_receipts |= checked.bad_receipts
    lines = pa.concat_tables(good) if good else LINE_SCHEMA.empty_table()
    grouped = group_receipts(lines, bad_receipts, currency)
    bad.extend(grouped.bad)
    bad.sort(key=lambda row: row.row)
    return ReceiptsFile(grouped.lines, grouped.starts, bad, grouped.skipped_receipts)
