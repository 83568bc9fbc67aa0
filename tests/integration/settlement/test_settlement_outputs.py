"""What finance takes away from a run: statements (CSV, PDF), the matrix, and
the SEPA payout file, from the hand-computed town's figures."""

import csv
import io
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sepaxml
import xmlschema
from pypdf import PdfReader
from schwifty import IBAN
from sqlalchemy import text

from coalition.partners import lifecycle
from coalition.platform.errors import DomainError, ErrorCode
from coalition.settlement import documents, payouts
from coalition.settlement import service as settlement
from coalition.settlement.rules import FundingModel
from tests.support.settlement import post_hand_computed_day
from tests.support.time_passing import A_DAY_FROM_NOW, business_date_now

PAYER_IBAN = str(IBAN.generate("NL", bank_code="INGB", account_code="0001234567").compact)
B_IBAN = "BE68539007547034"
PAIN_001 = Path(sepaxml.__file__).parent / "schemas" / "pain.001.001.03.xsd"


async def _provisionally_settled_day(town):
    """The hand-computed day, settled while still open; shop A and the day."""
    a, _, _ = await post_hand_computed_day(town)
    day = await business_date_now(town)
    async with town.sessions.begin() as session:
        await settlement.run_day(session, town.coalition_id, day)
    return a, day


async def test_a_partners_statement_as_csv_lists_its_obligations_and_totals(town) -> None:
    a, day = await _provisionally_settled_day(town)
    async with town.engine.connect() as connection:
        document = await documents.statement_document(connection, town.coalition_id, day, a, "CSV")
    assert document.media_type == "text/csv"
    assert document.filename == f"statement-{day.isoformat()}-A.csv"
    rows = list(csv.reader(io.StringIO(document.content.decode())))
    assert rows[:5] == [
        ["coalition", "Test Town"], ["partner", "A"], ["business date", day.isoformat()], ["status", "PROVISIONAL"],
        ["currency", "EUR"],
    ]  # fmt: skip
    header = rows.index(["counterparty", "direction", "reason", "points", "amount"])
    body = rows[header + 1 : rows.index([], header)]
    assert sorted(map(tuple, body)) == sorted(
        [
            ("B", "payable", "CROSS_REDEMPTION", "170", "1.70"),
            ("Test Town", "receivable", "CROSS_REDEMPTION", "30", "0.30"),
            ("B", "receivable", "CROSS_REDEMPTION", "120", "1.20"),
            ("Test Town", "payable", "FEE", "450", "0.45"),
        ]
    )
    assert rows[-6:] == [
        ["points issued", "450"], ["points redeemed", "150"], ["receivable", "1.50"], ["payable", "2.15"],
        ["of which fees", "0.45"], ["net", "-0.65"],
    ]  # fmt: skip


async def test_the_pdf_statement_opens_and_shows_the_figures(town) -> None:
    a, day = await _provisionally_settled_day(town)
    async with town.engine.connect() as connection:
        document = await documents.statement_document(connection, town.coalition_id, day, a, "PDF")
    assert document.content.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(document.content))
    assert len(reader.pages) == 1
    page = reader.pages[0].extract_text()
    for expected in (
        "Test Town",
        "Settlement statement for A",
        f"Business day {day.isoformat()}",
        "CROSS_REDEMPTION",
        "1.70",
        "1.20",
        "0.30",
        "0.45",
        "Net",
        "-0.65",
    ):
        assert expected in page, expected
    assert reader.metadata is not None
    assert reader.metadata.title is not None
    assert "Test Town statement" in reader.metadata.title


async def test_the_matrix_says_whose_points_were_spent_where(town) -> None:
    _, day = await _provisionally_settled_day(town)
    async with town.engine.connect() as connection:
        document = await documents.matrix_document(connection, town.coalition_id, day)
    rows = list(csv.reader(io.StringIO(document.content.decode())))
    assert rows[0] == ["earned at (issuer)", "redeemed at", "points"]
    assert sorted(map(tuple, rows[1:])) == sorted(
        [("Test Town", "B", "30"), ("A", "B", "170"), ("Test Town", "A", "30"), ("B", "A", "120"), ("B", "C", "50")]
    )


async def _approved_day(town):
    a, b, c = await post_hand_computed_day(town)
    day = await business_date_now(town)
    async with town.sessions.begin() as session:
        await settlement.run_day(session, town.coalition_id, day, now=A_DAY_FROM_NOW)
        await settlement.approve(session, town.operator, day)
        await settlement.run_day(session, town.coalition_id, day - timedelta(days=1))  # settled, not approved
    return a, b, c, day


async def test_the_payout_file_pays_partners_owed_money_and_lists_those_it_cannot(town) -> None:
    a, b, c, day = await _approved_day(town)
    async with town.sessions.begin() as session:
        await lifecycle.set_payout_account(session, town.operator, b, "be68 5390 0754 7034")
        await settlement.set_policy(
            session, town.operator,
            settlement.PolicySpec(FundingModel.AT_REDEMPTION, payer_name="Test Town Association",
                                  payer_iban=PAYER_IBAN),
        )  # fmt: skip
    async with town.engine.begin() as connection:  # an account number stored before IBANs were checked
        await connection.execute(
            text("UPDATE partner_programmes SET iban = 'NL91ABNA0417164301' WHERE partner_id = :c"), {"c": c}
        )
    start = day - timedelta(days=6)
    async with town.engine.connect() as connection:
        period = await payouts.payout(connection, town.coalition_id, start, day)
        document, _ = await documents.sepa_document(connection, town.coalition_id, start, day, day + timedelta(days=1))

    assert period.approved_days == (day,)
    assert period.unapproved_days == (day - timedelta(days=1),)
    by_partner = {line.partner_id: line for line in period.lines}
    assert {p: line.net_minor for p, line in by_partner.items()} == {a: -65, b: 30, c: 49}
    assert by_partner[b].iban == B_IBAN
    assert by_partner[b].problem is None
    assert by_partner[c].problem is not None
    assert by_partner[c].problem.startswith("IBAN not valid")
    assert by_partner[a].problem is None  # A owes money: nothing to transfer to it
    assert [line.partner_id for line in period.payable] == [b]

    xml = document.content
    schema = xmlschema.XMLSchema(str(PAIN_001))
    schema.validate(xml)  # raises if the file does not match pain.001.001.03
    decoded = schema.to_dict(xml)
    initiation = decoded["CstmrCdtTrfInitn"]
    assert initiation["GrpHdr"]["NbOfTxs"] == "1"
    assert Decimal(str(initiation["GrpHdr"]["CtrlSum"])) == Decimal("0.30")
    batch = initiation["PmtInf"][0]
    assert batch["DbtrAcct"]["Id"]["IBAN"] == PAYER_IBAN
    assert batch["ReqdExctnDt"] == (day + timedelta(days=1)).isoformat()
    transfer = batch["CdtTrfTxInf"][0]
    assert transfer["Cdtr"]["Nm"] == "B"
    assert transfer["CdtrAcct"]["Id"]["IBAN"] == B_IBAN
    assert Decimal(str(transfer["Amt"]["InstdAmt"]["$"])) == Decimal("0.30")
    assert transfer["Amt"]["InstdAmt"]["@Ccy"] == "EUR"


async def test_no_payout_file_without_a_paying_account_or_anyone_to_pay(town) -> None:
    _, _, _, day = await _approved_day(town)
    async with town.engine.connect() as connection:
        with pytest.raises(DomainError) as refused:
            await documents.sepa_document(connection, town.coalition_id, day, day, day)
    assert refused.value.code == ErrorCode.CONFLICT
    assert "paying account" in refused.value.message
    async with town.sessions.begin() as session:
        await settlement.set_policy(
            session, town.operator,
            settlement.PolicySpec(FundingModel.AT_REDEMPTION, payer_name="Assoc", payer_iban=PAYER_IBAN),
        )  # fmt: skip
    async with town.engine.connect() as connection:  # B and C are owed money but have no IBAN
        with pytest.raises(DomainError) as nobody:
            await documents.sepa_document(connection, town.coalition_id, day, day, day)
    assert "nobody" in nobody.value.message


@pytest.mark.parametrize(
    ("iban", "field"),
    [("NL91ABNA0417164301", "iban"), ("not an iban", "iban")],
)
async def test_a_payout_account_must_be_a_valid_iban(town, iban, field) -> None:
    shop, _ = await town.partner("Shop")
    with pytest.raises(DomainError) as refused:
        async with town.sessions.begin() as session:
            await lifecycle.set_payout_account(session, town.operator, shop, iban)
    assert (refused.value.code, refused.value.field) == (ErrorCode.VALIDATION, (field,))
    with pytest.raises(DomainError) as bad_payer:
        async with town.sessions.begin() as session:
            await settlement.set_policy(
                session, town.operator,
                settlement.PolicySpec(FundingModel.AT_REDEMPTION, payer_name="Assoc", payer_iban=iban),
            )  # fmt: skip
    assert bad_payer.value.code == ErrorCode.VALIDATION
