"""The receipt import file (insights/receipts_file.py): every value checked, bad rows by spreadsheet row."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coalition.insights.model import Line
from coalition.insights.receipt_rows import BadRow
from coalition.insights.receipts_file import ImportedReceipt, ReceiptsFile, read_receipts_file
from coalition.platform.errors import DomainError, ErrorCode
from coalition.platform.money import to_major

HEADER = "receipt,shop,card,occurred_at,sku,category,quantity,amount"
GOOD = "r1,bakery,8000000000001,2017-03-04T10:15:00+01:00,b1,bread,1,2.50"


def read(tmp_path: Path, *rows: str, currency: str = "EUR", header: str = HEADER, **options: datetime) -> ReceiptsFile:
    path = tmp_path / "receipts.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return read_receipts_file(path, currency, **options)


def receipts(file: ReceiptsFile) -> list[ImportedReceipt]:
    return [receipt for batch in file.batches() for receipt in batch.receipts()]


def test_a_good_file_gives_its_receipts_whole_in_order_of_first_appearance(tmp_path: Path) -> None:
    file = read(
        tmp_path,
        GOOD,
        "r2,bakery,8000000000002,2017-03-04T11:00:00Z,b9,,0.250,1.230",
        "r1,bakery,8000000000001,2017-03-04T09:15:00Z,b2,cake,2,-0.50",  # the same moment, written in UTC
        "r1,butcher,8000000000003,2017-03-04T10:15:00+01:00,m1,meat,1,0",  # r1 at another shop: another receipt
    )
    assert file.bad_rows == []
    assert (file.receipt_count, file.line_count, file.skipped_receipts) == (3, 4, 0)
    first, second, third = receipts(file)
    assert first == ImportedReceipt(
        shop="bakery", receipt="r1", card="8000000000001", occurred_at=datetime(2017, 3, 4, 9, 15, tzinfo=UTC),
        total_minor=200, lines=(Line("b1", "bread", Decimal(1), 250), Line("b2", "cake", Decimal(2), -50)), first_row=2,
    )  # fmt: skip
    assert (second.receipt, second.total_minor, second.lines) == ("r2", 123, (Line("b9", "", Decimal("0.25"), 123),))
    assert (third.shop, third.receipt, third.total_minor, third.first_row) == ("butcher", "r1", 0, 5)


def test_batches_hold_whole_receipts_as_columns(tmp_path: Path) -> None:
    file = read(tmp_path, GOOD, "r2,bakery,8000000000002,2017-03-04T11:00:00Z,b9,,1,1", GOOD.replace(",b1,", ",b3,"))
    batches = list(file.batches(receipts_per_batch=1))
    assert [batch.lines.column("receipt").to_pylist() for batch in batches] == [["r1", "r1"], ["r2"]]
    assert batches[0].lines.column("row").to_pylist() == [2, 4]
    assert batches[0].lines.column("amount_minor").to_pylist() == [250, 250]


@pytest.mark.parametrize(("row", "reason"), [
    (",bakery,8000000000001,2017-03-04T10:15:00+01:00,b1,bread,1,2.50", "receipt is empty"),
    ("r9,,8000000000001,2017-03-04T10:15:00+01:00,b1,bread,1,2.50", "shop is empty"),
    ("r9,bakery,,2017-03-04T10:15:00+01:00,b1,bread,1,2.50", "card is empty"),
    (f"r9,bakery,{'8' * 65},2017-03-04T10:15:00+01:00,b1,bread,1,2.50", "card is longer than 64 characters"),
    ("r9,bakery,8000000000001,2017-03-04T10:15:00+01:00,,bread,1,2.50", "sku is empty"),
    (f"r9,bakery,8000000000001,2017-03-04T10:15:00+01:00,b1,{'é' * 65},1,2.50", "category is longer than 64 characters"),
    ("r9,bakery,8000000000001,2017-03-04T10:15:00,b1,bread,1,2.50",
     "occurred_at '2017-03-04T10:15:00' is not ISO 8601 with an offset, e.g. 2017-03-04T10:15:00+01:00"),
    ("r9,bakery,8000000000001,2017-02-30T10:15:00+01:00,b1,bread,1,2.50",
     "occurred_at '2017-02-30T10:15:00+01:00' is not ISO 8601 with an offset"),
    ("r9,bakery,8000000000001,04/03/2017 10:15,b1,bread,1,2.50", "occurred_at '04/03/2017 10:15' is not ISO 8601"),
    ("r9,bakery,8000000000001,2017-03-04T10:15:00+01:00,b1,bread,-1,2.50", "quantity is negative"),
    ("r9,bakery,8000000000001,2017-03-04T10:15:00+01:00,b1,bread,abc,2.50", "quantity 'abc' is not a number"),
    ("r9,bakery,8000000000001,2017-03-04T10:15:00+01:00,b1,bread,\"1,5\",2.50", "quantity '1,5' is not a number"),
    ("r9,bakery,8000000000001,2017-03-04T10:15:00+01:00,b1,bread,0.1234567,2.50", "(at most 6 decimals)"),
    ("r9,bakery,8000000000001,2017-03-04T10:15:00+01:00,b1,bread,2000000,2.50", "quantity is over 1000000"),
    ("r9,bakery,8000000000001,2017-03-04T10:15:00+01:00,b1,bread,1,1.234", "amount '1.234' has more decimals than EUR's 2"),
    ("r9,bakery,8000000000001,2017-03-04T10:15:00+01:00,b1,bread,1,\"1,50\"", "amount '1,50' is not a number"),
    ("r9,bakery,8000000000001,2017-03-04T10:15:00+01:00,b1,bread,1,", "amount '' is not a number"),
    ("r9,bakery,8000000000001,2017-03-04T10:15:00+01:00,b1,bread,1,2000000.01", "amount is beyond 1000000 either way"),
    ("r9,bakery,8000000000001,2017-03-04T10:15:00+01:00,b1,bread,1,2.50,extra", "the row has 9 fields, the header 8"),
    ("r9,bakery,8000000000001,2017-03-04T10:15:00+01:00,b1,bread,1", "the row has 7 fields, the header 8"),
])  # fmt: skip
def test_a_bad_value_is_listed_with_its_row_and_the_rest_is_read(tmp_path: Path, row: str, reason: str) -> None:
    file = read(tmp_path, GOOD, row, "r2,bakery,8000000000002,2017-03-04T11:00:00Z,b9,,1,1")
    assert [bad.row for bad in file.bad_rows] == [3]
    assert reason in file.bad_rows[0].reason
    assert [receipt.receipt for receipt in receipts(file)] == ["r1", "r2"]


def test_every_reason_of_a_row_is_given(tmp_path: Path) -> None:
    file = read(tmp_path, "r9,bakery,,2017-03-04,b1,bread,-2,x")
    assert len(file.bad_rows) == 1
    assert file.bad_rows[0].reason.split("; ") == [
        "card is empty",
        "occurred_at '2017-03-04' is not ISO 8601 with an offset, e.g. 2017-03-04T10:15:00+01:00",
        "quantity is negative",
        "amount 'x' is not a number such as 12.50 or -3 (a point for decimals)",
    ]


def test_amounts_may_have_at_most_the_currencys_decimals(tmp_path: Path) -> None:
    row = "r{},bakery,8000000000001,2017-03-04T10:15:00+01:00,b1,bread,1,{}"
    yen = read(tmp_path, row.format(1, "150"), row.format(2, "1.5"), row.format(3, "2.0"), currency="JPY")
    assert [(bad.row, bad.reason) for bad in yen.bad_rows] == [(3, "amount '1.5' has more decimals than JPY's 0")]
    assert [receipt.total_minor for receipt in receipts(yen)] == [150, 2]
    dinar = read(tmp_path, row.format(1, "1.234"), currency="KWD")
    assert [receipt.total_minor for receipt in receipts(dinar)] == [1234]


def test_a_bad_row_skips_its_whole_receipt(tmp_path: Path) -> None:
    file = read(
        tmp_path,
        GOOD,
        "r2,bakery,8000000000002,2017-03-04T11:00:00Z,b9,,1,1",
        "r1,bakery,8000000000001,2017-03-04T10:15:00+01:00,b2,cake,1,9.999",
    )
    assert [bad.row for bad in file.bad_rows] == [4]
    assert [receipt.receipt for receipt in receipts(file)] == ["r2"]
    assert file.skipped_receipts == 1


def test_a_receipt_needs_one_card_one_moment_and_a_total_that_is_not_negative(tmp_path: Path) -> None:
    file = read(
        tmp_path,
        "r1,bakery,8000000000001,2017-03-04T10:15:00+01:00,b1,bread,1,2.50",
        "r1,bakery,8000000000009,2017-03-04T10:15:00+01:00,b2,bread,1,2.50",  # another card
        "r2,bakery,8000000000002,2017-03-04T10:15:00+01:00,b1,bread,1,2.50",
        "r2,bakery,8000000000002,2017-03-04T10:16:00+01:00,b2,bread,1,2.50",  # another minute
        "r3,bakery,8000000000003,2017-03-04T10:15:00+01:00,b1,bread,1,2.00",
        "r3,bakery,8000000000003,2017-03-04T10:15:00+01:00,b1,bread,2,-5.00",  # a return bigger than the sale
        "r4,bakery,8000000000004,2017-03-04T10:15:00+01:00,b1,bread,1,5.00",
        "r4,bakery,8000000000004,2017-03-04T10:15:00+01:00,b1,bread,1,-5.00",  # returned: a total of zero is fine
    )
    assert [(bad.row, bad.reason) for bad in file.bad_rows] == [
        (3, "another card than row 2 for the same receipt"),
        (5, "another time than row 4 for the same receipt"),
        (6, "the receipt's total is -3.00: it may not be negative"),
    ]
    assert [(receipt.receipt, receipt.total_minor) for receipt in receipts(file)] == [("r4", 0)]
    assert file.skipped_receipts == 3


def test_a_receipt_has_at_most_500_lines(tmp_path: Path) -> None:
    file = read(tmp_path, *([GOOD] * 501), "r2,bakery,8000000000002,2017-03-04T11:00:00Z,b9,,1,1")
    assert file.bad_rows == [BadRow(2, "the receipt has 501 lines, more than 500")]
    assert [receipt.receipt for receipt in receipts(file)] == ["r2"]
    assert read(tmp_path, *([GOOD] * 500)).receipt_count == 1


def test_a_time_after_the_limit_is_refused(tmp_path: Path) -> None:
    file = read(tmp_path, GOOD, "r2,bakery,8000000000002,2030-01-01T00:00:00Z,b9,,1,1",
                not_after=datetime(2026, 1, 1, tzinfo=UTC))  # fmt: skip
    assert file.bad_rows == [BadRow(3, "occurred_at is in the future")]


def test_row_numbers_are_a_spreadsheets_despite_blank_rows_and_line_breaks_in_a_value(tmp_path: Path) -> None:
    file = read(
        tmp_path,
        GOOD,
        "",  # a blank row: row 3, neither read nor reported
        'r2,bakery,8000000000002,2017-03-04T11:00:00Z,"b9\nsecond line",,1,1',  # one row (4) on two lines
        "r3,bakery,8000000000003,2017-03-04T11:00:00Z,b9,,1,x",  # row 5
        ",,,,,,,",  # row 6: empty fields only, like a blank row
        "r4,bakery,8000000000004,2017-03-04T11:00:00Z,b9,,1",  # row 7, too few fields
        "r5,bakery,8000000000005,2017-03-04T11:00:00Z,b9,,1,1.001",  # row 8
    )
    assert [bad.row for bad in file.bad_rows] == [5, 7, 8]
    assert [(receipt.receipt, receipt.first_row) for receipt in receipts(file)] == [("r1", 2), ("r2", 4)]
    assert receipts(file)[1].lines[0].sku == "b9\nsecond line"


def test_a_row_that_is_not_utf8_is_listed(tmp_path: Path) -> None:
    path = tmp_path / "receipts.csv"
    path.write_bytes(f"{HEADER}\n{GOOD}\nr2,bakery,8000000000002,2017-03-04T11:00:00Z,b\xff9,,1,1\n".encode("latin-1"))
    file = read_receipts_file(path, "EUR")
    assert file.bad_rows == [BadRow(3, "sku is not UTF-8 text")]
    assert file.receipt_count == 1


def test_the_header_may_have_a_byte_order_mark_other_columns_and_another_order(tmp_path: Path) -> None:
    path = tmp_path / "receipts.csv"
    path.write_text(
        "\ufeffamount,note,receipt,shop,card,occurred_at,sku,category,quantity\n"
        "2.50,first visit,r1,bakery,8000000000001,2017-03-04T10:15:00+01:00,b1,bread,1\n",
        encoding="utf-8",
    )
    [receipt] = receipts(read_receipts_file(path, "EUR"))
    assert (receipt.receipt, receipt.total_minor, receipt.lines[0].category) == ("r1", 250, "bread")


@pytest.mark.parametrize(("header", "message"), [
    ("receipt,shop,card,occurred_at,sku,category,quantity", "the file has no column amount"),
    ("receipt,shop,card,occurred_at,sku,category,quantity,amount,amount", "the column amount more than once"),
])  # fmt: skip
def test_a_file_without_the_contracts_columns_is_refused(tmp_path: Path, header: str, message: str) -> None:
    with pytest.raises(DomainError) as refused:
        read(tmp_path, GOOD, header=header)
    assert (refused.value.code, refused.value.field) == (ErrorCode.VALIDATION, ("file",))
    assert message in refused.value.message


def test_a_header_alone_is_an_empty_import(tmp_path: Path) -> None:
    file = read(tmp_path)
    assert (file.receipt_count, file.line_count, file.bad_rows, file.skipped_receipts) == (0, 0, [], 0)
    assert list(file.batches()) == []


def test_parquet_with_typed_columns_reads_as_csv_does(tmp_path: Path) -> None:
    path = tmp_path / "receipts.parquet"
    amsterdam = pa.timestamp("us", tz="Europe/Amsterdam")
    moment = datetime(2017, 3, 4, 9, 15, tzinfo=UTC)
    pq.write_table(
        pa.table({
            "receipt": ["r1", "r1", "r2"],
            "shop": ["bakery"] * 3,
            "card": ["8000000000001", "8000000000001", "8000000000002"],
            "occurred_at": pa.array([moment] * 3, amsterdam),
            "sku": ["b1", "b2", "b3"],
            "category": ["bread", None, "cake"],
            "quantity": pa.array([Decimal(1), Decimal("0.5"), Decimal(1)], pa.decimal128(9, 3)),
            "amount": pa.array([Decimal("2.500"), Decimal("1.000"), Decimal("1.234")], pa.decimal128(12, 3)),
        }),
        path,
    )  # fmt: skip
    file = read_receipts_file(path, "EUR")
    assert file.bad_rows == [BadRow(4, "amount '1.234' has more decimals than EUR's 2")]
    [receipt] = receipts(file)
    assert (receipt.occurred_at, receipt.total_minor) == (moment, 350)
    assert receipt.lines == (Line("b1", "bread", Decimal(1), 250), Line("b2", "", Decimal("0.5"), 100))


def test_parquet_times_without_a_zone_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "receipts.parquet"
    pq.write_table(
        pa.table({
            "receipt": ["r1"], "shop": ["bakery"], "card": ["8000000000001"],
            "occurred_at": pa.array([datetime(2017, 3, 4, 10, 15)], pa.timestamp("us")),
            "sku": ["b1"], "category": ["bread"], "quantity": ["1"], "amount": ["2.50"],
        }),
        path,
    )  # fmt: skip
    file = read_receipts_file(path, "EUR")
    assert [bad.row for bad in file.bad_rows] == [2]
    assert "is not ISO 8601 with an offset" in file.bad_rows[0].reason
    assert file.receipt_count == 0


def test_a_parquet_column_that_is_not_text_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "receipts.parquet"
    pq.write_table(
        pa.table({
            "receipt": ["r1"], "shop": ["bakery"], "card": ["8000000000001"], "occurred_at": ["2017-03-04T10:15:00Z"],
            "sku": pa.array([["b1", "b2"]]), "category": ["bread"], "quantity": ["1"], "amount": ["2.50"],
        }),
        path,
    )  # fmt: skip
    with pytest.raises(DomainError) as refused:
        read_receipts_file(path, "EUR")
    assert (refused.value.code, refused.value.field) == (ErrorCode.VALIDATION, ("file",))
    assert "the column sku holds list<" in refused.value.message


@pytest.mark.parametrize("neighbour", ["2.50", "2.505", "two"])
def test_a_value_is_judged_alone_whatever_its_neighbours(tmp_path: Path, neighbour: str) -> None:
    # The whole column is cast at once when it can be, value by value when it cannot: same verdicts.
    row = "r{},bakery,8000000000001,2017-03-04T10:15:00+01:00,b1,bread,{},{}"
    file = read(tmp_path, row.format(1, "1", neighbour), row.format(2, ".5", "1e2"), row.format(3, "2.", "-.5"),
                row.format(4, "1", "0.50"), row.format(5, "1", "2017-03-04"))  # fmt: skip
    by_receipt = {receipt.receipt: receipt for receipt in receipts(file)}
    assert by_receipt["r2"].lines == (Line("b1", "bread", Decimal("0.5"), 10000),)
    assert by_receipt["r4"].total_minor == 50
    assert [bad.row for bad in file.bad_rows] == ([2] if neighbour != "2.50" else []) + [4, 6]
    assert "r3" not in by_receipt  # -0.50 is a return: fine as a line, not as a receipt's total


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=100_000_000), min_size=1, max_size=20))
def test_amounts_written_in_major_units_read_back_as_the_same_minor_units(minors: list[int]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        rows = [f"r{n},bakery,800000000000{n % 10},2017-03-04T10:15:00+01:00,b1,bread,1,{to_major(minor, 'EUR')}"
                for n, minor in enumerate(minors)]  # fmt: skip
        file = read(Path(folder), *rows)
    assert file.bad_rows == []
    assert [receipt.total_minor for receipt in receipts(file)] == minors
