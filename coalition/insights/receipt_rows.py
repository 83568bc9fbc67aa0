"""The import file's rows, one column at a time: each value checked as the contract says, vectorised.

Input: a batch of the eight columns as text and each row's number as a
spreadsheet shows it (the header is row 1). Output: the good rows, typed, and
a reason for each bad one. Whole-receipt rules (one card and one time per
receipt, a total that is not negative) are ``receipt_groups``'s.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from coalition.platform.errors import validation
from coalition.platform.money import MAX_PURCHASE

COLUMNS = ("receipt", "shop", "card", "occurred_at", "sku", "category", "quantity", "amount")
TEXT_LIMITS = {"receipt": (1, 64), "shop": (1, 64), "card": (1, 64), "sku": (1, 64), "category": (0, 64)}
QUANTITY_TYPE = pa.decimal128(13, 6)
MAX_QUANTITY = 1_000_000
MAX_LINE_MAJOR = MAX_PURCHASE

TIME_EXAMPLE = "e.g. 2017-03-04T10:15:00+01:00"
_WIDE_DECIMAL = pa.decimal128(38, 18)
# What the casts read, near enough: a value that does not match is cast on its own (see cast_each).
_USUAL_TIME = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?(Z|[+-][0-9]{2}(:?[0-9]{2})?)$"
)
_USUAL_DECIMAL = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$"
TIME_TYPE = pa.timestamp("us", tz="UTC")
LINE_SCHEMA = pa.schema(
    [
        ("shop", pa.string()),
        ("receipt", pa.string()),
        ("card", pa.string()),
        ("occurred_at", TIME_TYPE),
        ("sku", pa.string()),
        ("category", pa.string()),
        ("quantity", QUANTITY_TYPE),
        ("amount_minor", pa.int64()),
        ("row", pa.int64()),
    ]
)


@dataclass(frozen=True)
class BadRow:
    row: int
    reason: str


@dataclass
class CheckedRows:
    """A batch's good rows (typed columns plus ``row``) and its bad rows with the receipt each belongs to."""

    good: pa.Table
    bad: list[BadRow]
    bad_receipts: set[tuple[str, str]]


def shown(value: object) -> str:
    text = str(value)
    return repr(text if len(text) <= 40 else text[:40] + "...")


class _Findings:
    """Reasons gathered per row position of one batch; a row may break several rules."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.reasons: dict[int, list[str]] = {}

    def at(self, index: int, reason: str) -> None:
        self.reasons.setdefault(index, []).append(reason)

    def add(self, failed: pa.Array, reason: str | Callable[[int], str]) -> None:
        """Record ``reason`` (a string, or a function of the row's position) where ``failed`` is true."""
        for index in pc.indices_nonzero(pc.fill_null(failed, False)).to_pylist():
            self.at(index, reason(index) if callable(reason) else reason)

    def failed(self) -> np.ndarray:
        mask = np.zeros(self.size, dtype=bool)
        mask[list(self.reasons)] = True
        return mask


_CAST_ERRORS = (pa.ArrowInvalid, pa.ArrowNotImplementedError)


def _halving(values: pa.Array, target: pa.DataType) -> tuple[pa.Array, list[int]]:
    try:
        return values.cast(target), []
    except _CAST_ERRORS:
        if len(values) == 1:
            return pa.nulls(1, target), [0]
    middle = len(values) // 2
    left, bad_left = _halving(values.slice(0, middle), target)
    right, bad_right = _halving(values.slice(middle), target)
    return pa.concat_arrays([left, right]), bad_left + [middle + index for index in bad_right]


def cast_each(values: pa.Array, target: pa.DataType, usual: str | None = None) -> tuple[pa.Array, list[int]]:
    """``values`` cast to ``target``, null where a value cannot be, with those positions.

    One cast of the whole array when every value can be (the usual case).
    Otherwise the values that do not match ``usual`` (a pattern of what the
    cast reads) are cast one at a time and the rest together, halving what
    still fails until the bad values are found. However it goes, each row is
    judged by the cast of its own value, never by its neighbours.
    """
    try:
        return values.cast(target), []
    except _CAST_ERRORS:
        if usual is None:
            return _halving(values, target)
    odd = pc.invert(pc.match_substring_regex(values, usual))
    together, failed = _halving(pc.if_else(odd, pa.scalar(None, values.type), values), target)
    alone = []
    for index in pc.indices_nonzero(odd).to_pylist():
        cast, failed_alone = _halving(values.slice(index, 1), target)
        alone.append(cast)
        failed += [index] * len(failed_alone)
    if not alone:
        return together, failed
    return pc.replace_with_mask(together, odd, pa.concat_arrays(alone)), sorted(failed)


def as_text(name: str, column: pa.Array | pa.ChunkedArray, findings: _Findings) -> pa.Array:
    """The column as UTF-8 strings, nulls as "". A value that is not UTF-8 is recorded and kept with its
    bad bytes replaced, so no other rule trips over it."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    try:
        pa.array([], column.type).cast(pa.string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise validation(f"the column {name} holds {column.type}, which is not text", "file") from exc
    text, failed = cast_each(column, pa.string())
    if failed:
        for index in failed:
            findings.at(index, f"{name} is not UTF-8 text")
        mask = np.zeros(len(text), dtype=bool)
        mask[failed] = True
        repaired = [column[index].as_py().decode("utf-8", errors="replace") for index in failed]
        text = pc.replace_with_mask(text, pa.array(mask), pa.array(repaired, pa.string()))
    return pc.fill_null(text, "") if text.null_count else text


def check_text(name: str, values: pa.Array, findings: _Findings) -> None:
    shortest, longest = TEXT_LIMITS[name]
    length = pc.utf8_length(values)
    if shortest:
        findings.add(pc.less(length, shortest), f"{name} is empty")
    findings.add(pc.greater(length, longest), f"{name} is longer than {longest} characters")


def parse_times(values: pa.Array, findings: _Findings) -> pa.Array:
    """ISO 8601 with an offset, as UTC instants (Arrow's parser: a date, T or a space, a time to the
    microsecond, then Z or +hh[:mm]); any other value is recorded."""
    times, failed = cast_each(values, TIME_TYPE, _USUAL_TIME)
    for index in failed:
        findings.at(index, f"occurred_at {shown(values[index])} is not ISO 8601 with an offset, {TIME_EXAMPLE}")
    return times


def parse_quantities(values: pa.Array, findings: _Findings) -> pa.Array:
    quantities, failed = cast_each(values, QUANTITY_TYPE, _USUAL_DECIMAL)
    for index in failed:
        findings.at(index, f"quantity {shown(values[index])} is not a number such as 2 or 0.75 (at most 6 decimals)")
    findings.add(pc.less(quantities, pa.scalar(Decimal(0), QUANTITY_TYPE)), "quantity is negative")
    too_many = pc.greater(quantities, pa.scalar(Decimal(MAX_QUANTITY), QUANTITY_TYPE))
    findings.add(too_many, f"quantity is over {MAX_QUANTITY}")
    return quantities


def parse_amounts(values: pa.Array, currency: str, places: int, findings: _Findings) -> pa.Array:
    """Amounts in minor units: at most the currency's decimals (trailing zeros beyond them are harmless).

    When some value does not fit the currency, all are read with 18 decimals
    first, so a value with too many decimals is told apart from one that is
    not a number without a cast per value.
    """
    exact_type = pa.decimal128(18, places)
    limit = pa.scalar(MAX_LINE_MAJOR, _WIDE_DECIMAL)
    try:
        amounts = values.cast(exact_type)
    except _CAST_ERRORS:
        wide, failed = cast_each(values, _WIDE_DECIMAL, _USUAL_DECIMAL)
        for index in failed:
            findings.at(
                index, f"amount {shown(values[index])} is not a number such as 12.50 or -3 (a point for decimals)"
            )
        inexact = pc.not_equal(pc.round(wide, ndigits=places), wide)
        findings.add(inexact, lambda i: f"amount {shown(values[i])} has more decimals than {currency}'s {places}")
        beyond = pc.greater(pc.abs(wide), limit)
        usable = pc.and_(pc.invert(inexact), pc.invert(beyond))
        amounts = pc.if_else(usable, wide, pa.scalar(None, _WIDE_DECIMAL)).cast(exact_type)
    else:
        beyond = pc.greater(pc.abs(amounts), limit)
    findings.add(beyond, f"amount is beyond {MAX_LINE_MAJOR} either way")
    return pc.multiply(amounts, pa.scalar(10**places, pa.int64())).cast(pa.int64())


def check_rows(
    batch: pa.RecordBatch | pa.Table, rows: pa.Array, currency: str, places: int, not_after: datetime | None
) -> CheckedRows:
    """Check every value of a batch; ``rows`` holds each row's spreadsheet number.

    Blank rows (every field empty) are neither kept nor reported.
    """
    findings = _Findings(len(rows))
    text = {name: as_text(name, batch.column(name), findings) for name in COLUMNS}
    for name in TEXT_LIMITS:
        check_text(name, text[name], findings)
    occurred_at = parse_times(text["occurred_at"], findings)
    if not_after is not None:
        findings.add(pc.greater(occurred_at, pa.scalar(not_after, TIME_TYPE)), "occurred_at is in the future")
    quantity = parse_quantities(text["quantity"], findings)
    amount = parse_amounts(text["amount"], currency, places, findings)
    bad = []
    bad_receipts = set()
    for index in sorted(findings.reasons):
        if not any(text[name][index].as_py() for name in COLUMNS):
            continue  # a blank row (an empty receipt is a finding, so every blank row is among them)
        bad.append(BadRow(rows[index].as_py(), "; ".join(findings.reasons[index])))
        shop, receipt = text["shop"][index].as_py(), text["receipt"][index].as_py()
        if shop and receipt:
            bad_receipts.add((shop, receipt))
    keep = pa.array(~findings.failed())
    typed = {**text, "occurred_at": occurred_at, "quantity": quantity, "amount_minor": amount, "row": rows}
    good = pa.table([typed[name] for name in LINE_SCHEMA.names], schema=LINE_SCHEMA).filter(keep)
    return CheckedRows(good, bad, bad_receipts)
