"""A partner's statement for one settlement run, as CSV and as PDF, and the
run's earned-at x redeemed-at matrix as CSV. Pure: figures in, bytes out."""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from fpdf import FPDF

from coalition.platform.money import to_major


@dataclass(frozen=True)
class StatementLine:
    counterparty: str
    direction: str  # "receivable" or "payable"
    reason: str
    points: int
    amount_minor: int


@dataclass(frozen=True)
class Statement:
    coalition: str
    partner: str
    business_date: date
    status: str
    currency: str
    points_issued: int
    points_redeemed: int
    receivable_minor: int
    payable_minor: int
    fees_minor: int
    net_minor: int
    lines: tuple[StatementLine, ...]

    def money(self, minor: int) -> Decimal:
        return to_major(minor, self.currency)

    def totals(self) -> tuple[tuple[str, int | Decimal], ...]:
        """The summary every format ends with, labelled as the PDF shows them."""
        return (
            ("Points issued", self.points_issued),
            ("Points redeemed", self.points_redeemed),
            ("Receivable", self.money(self.receivable_minor)),
            ("Payable", self.money(self.payable_minor)),
            ("of which fees", self.money(self.fees_minor)),
            ("Net", self.money(self.net_minor)),
        )


def statement_csv(statement: Statement) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["coalition", statement.coalition])
    writer.writerow(["partner", statement.partner])
    writer.writerow(["business date", statement.business_date.isoformat()])
    writer.writerow(["status", statement.status])
    writer.writerow(["currency", statement.currency])
    writer.writerow([])
    writer.writerow(["counterparty", "direction", "reason", "points", "amount"])
    for line in statement.lines:
        writer.writerow(
            [line.counterparty, line.direction, line.reason, line.points, f"{statement.money(line.amount_minor)}"]
        )
    writer.writerow([])
    writer.writerows([label.lower(), value] for label, value in statement.totals())
    return out.getvalue()


def statement_pdf(statement: Statement) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_title(f"{statement.coalition} statement {statement.business_date.isoformat()} {statement.partner}")
    pdf.set_author(statement.coalition)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, statement.coalition, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 11)
    pdf.cell(0, 7, f"Settlement statement for {statement.partner}", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(
        0, 7, f"Business day {statement.business_date.isoformat()} - {statement.status} - {statement.currency}",
        new_x="LMARGIN", new_y="NEXT",
    )  # fmt: skip
    pdf.ln(4)
    with pdf.table(col_widths=(60, 30, 45, 25, 30), text_align=("LEFT", "LEFT", "LEFT", "RIGHT", "RIGHT")) as table:
        table.row(["Counterparty", "Direction", "Reason", "Points", "Amount"])
        for line in statement.lines:
            table.row(
                [line.counterparty, line.direction, line.reason, str(line.points),
                 f"{statement.money(line.amount_minor)}"]
            )  # fmt: skip
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 11)
    for label, value in statement.totals():
        pdf.cell(60, 7, label)
        pdf.cell(40, 7, str(value), align="R", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def matrix_csv(rows: list[tuple[str, str, int]]) -> str:
    """(issuer, redeemer, points): whose points were spent where."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["earned at (issuer)", "redeemed at", "points"])
    writer.writerows(rows)
    return out.getvalue()


def party_name(names: dict[uuid.UUID, str], party: uuid.UUID | None, coalition: str) -> str:
    return coalition if party is None else names.get(party, str(party))
