"""The import file's rows put together into receipts, and the rules a receipt must keep as a whole.

A receipt is identified by (shop, receipt) and its lines may be anywhere in
the file. All its lines must name one card and one moment (the same instant,
whatever offset each wrote it with); its total may not be negative nor above
the till's limit for one purchase; it has at most as many lines as a till's
basket. A receipt breaking a rule, or with any bad row, is skipped whole.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from coalition.platform.money import MAX_PURCHASE, exponent, to_major

from .receipt_rows import BadRow

MAX_RECEIPT_LINES = 500


@dataclass
class GroupedLines:
    """The good receipts' lines, ordered by receipt (in order of first appearance) then row, and each
    receipt's start in them."""

    lines: pa.Table
    starts: np.ndarray
    bad: list[BadRow]
    skipped_receipts: int


def receipt_keys(shops: pa.Array, receipts: pa.Array) -> pa.Array:
    """One string per (shop, receipt), unambiguous whatever they contain: the shop's length leads."""
    return pc.binary_join_element_wise(pc.utf8_length(shops).cast(pa.string()), shops, receipts, ":")


def _changes_within(codes: np.ndarray, values: pa.Array) -> np.ndarray:
    """Positions (in ``codes``' order) whose value differs from the previous line of the same receipt."""
    if len(codes) < 2:
        return np.zeros(0, dtype=np.int64)
    same_receipt = codes[1:] == codes[:-1]
    differs = pc.not_equal(values.slice(1), values.slice(0, len(values) - 1)).to_numpy(zero_copy_only=False)
    return np.flatnonzero(same_receipt & differs) + 1


def group_receipts(lines: pa.Table, bad_receipts: Collection[tuple[str, str]], currency: str) -> GroupedLines:
    """Order the good rows by receipt, apply the whole-receipt rules, and drop every receipt that failed."""
    bad: list[BadRow] = []
    if lines.num_rows == 0:
        return GroupedLines(lines, np.zeros(0, dtype=np.int64), bad, len(bad_receipts))
    keys = pc.dictionary_encode(receipt_keys(lines.column("shop"), lines.column("receipt")))
    # Encoding a chunked column keeps one dictionary across its chunks, so the chunks' codes agree.
    codes = np.concatenate([chunk.indices.to_numpy() for chunk in keys.chunks])
    if np.any(codes[1:] < codes[:-1]):  # some receipt's lines are not together: gather them (rows ascend)
        order = np.argsort(codes, kind="stable")
        # One chunk first: taking from many chunks is far slower for text columns.
        lines, codes = lines.combine_chunks().take(pa.array(order)), codes[order]
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    failed = np.zeros(len(starts), dtype=bool)
    rows = lines.column("row").to_numpy()
    index_of_code = np.empty(codes.max() + 1, dtype=np.int64)
    index_of_code[codes[starts]] = np.arange(len(starts))

    for column, what in (("card", "card"), ("occurred_at", "time")):
        for position in _changes_within(codes, lines.column(column)):
            receipt = index_of_code[codes[position]]
            if not failed[receipt]:
                first = rows[starts[receipt]]
                bad.append(BadRow(int(rows[position]), f"another {what} than row {first} for the same receipt"))
            failed[receipt] = True

    totals = np.add.reduceat(lines.column("amount_minor").to_numpy(), starts)
    counts = np.diff(np.r_[starts, lines.num_rows])
    limit = int(MAX_PURCHASE.scaleb(exponent(currency)))
    for receipt in np.flatnonzero(~failed & ((totals < 0) | (totals > limit) | (counts > MAX_RECEIPT_LINES))):
        if counts[receipt] > MAX_RECEIPT_LINES:
            reason = f"the receipt has {counts[receipt]} lines, more than {MAX_RECEIPT_LINES}"
        elif totals[receipt] < 0:
            reason = f"the receipt's total is {to_major(int(totals[receipt]), currency)}: it may not be negative"
        else:
            reason = f"the receipt's total is over {MAX_PURCHASE}"
        bad.append(BadRow(int(rows[starts[receipt]]), reason))
        failed[receipt] = True

    bad_shops, bad_numbers = zip(*sorted(bad_receipts), strict=True) if bad_receipts else ((), ())
    bad_keys = receipt_keys(pa.array(bad_shops, pa.string()), pa.array(bad_numbers, pa.string()))
    firsts = lines.take(pa.array(starts))
    start_keys = receipt_keys(firsts.column("shop"), firsts.column("receipt"))
    failed |= pc.is_in(start_keys, value_set=bad_keys).to_numpy(zero_copy_only=False)
    # A receipt whose every row was bad has no line here, but it is skipped all the same.
    without_lines = len(bad_keys) - int(pc.sum(pc.is_in(bad_keys, value_set=start_keys)).as_py() or 0)
    kept_counts = counts[~failed]
    if failed.any():
        lines = lines.filter(pa.array(np.repeat(~failed, counts)))
    kept_starts = np.r_[0, np.cumsum(kept_counts)[:-1]] if len(kept_counts) else np.zeros(0, dtype=np.int64)
    return GroupedLines(lines, kept_starts.astype(np.int64), bad, int(failed.sum()) + without_lines)
