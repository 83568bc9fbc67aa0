"""The files finance takes away: statements (CSV, PDF), the run's matrix,
and the SEPA payout file. One place builds each, for the API's download links
and for the command line alike."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from coalition.platform.coalitions import repository as coalitions
from coalition.platform.errors import DomainError, ErrorCode
from coalition.platform.runtime.database import Executor
from coalition.settlement import outputs_repository, payouts, repository
from coalition.settlement.statements import (
    Statement,
    StatementLine,
    matrix_csv,
    party_name,
    statement_csv,
    statement_pdf,
)


@dataclass(frozen=True)
class Document:
    filename: str
    media_type: str
    content: bytes


async def statement(connection: Executor, coalition_id: uuid.UUID, day: date, partner_id: uuid.UUID) -> Statement:
    coalition = await coalitions.coalition_by_id(connection, coalition_id)
    run = (await repository.runs_on(connection, coalition_id, [day])).get(day)
    names = await outputs_repository.partner_names(connection, coalition_id)
    if coalition is None or run is None or partner_id not in names:
        raise DomainError(ErrorCode.NOT_FOUND, "no settlement run for that day and partner")
    line = next(
        (x for x in (await repository.lines_of(connection, [run.id]))[run.id] if x.partner_id == partner_id), None
    )
    entries = []
    for o in (await repository.obligations_of(connection, [run.id]))[run.id]:
        if partner_id not in (o.debtor_partner_id, o.creditor_partner_id):
            continue
        receivable = o.creditor_partner_id == partner_id
        other = o.debtor_partner_id if receivable else o.creditor_partner_id
        entries.append(
            StatementLine(
                party_name(names, other, coalition.name), "receivable" if receivable else "payable",
                o.reason.value, o.points, o.amount_minor,
            )
        )  # fmt: skip
    return Statement(
        coalition=coalition.name,
        partner=names[partner_id],
        business_date=day,
        status=run.status,
        currency=run.currency,
        points_issued=line.points_issued if line else 0,
        points_redeemed=line.points_redeemed if line else 0,
        receivable_minor=line.receivable_minor if line else 0,
        payable_minor=line.payable_minor if line else 0,
        fees_minor=line.fees_minor if line else 0,
        net_minor=line.net_minor if line else 0,
        lines=tuple(entries),
    )


async def statement_document(
    connection: Executor, coalition_id: uuid.UUID, day: date, partner_id: uuid.UUID, kind: str
) -> Document:
    found = await statement(connection, coalition_id, day, partner_id)
    stem = f"statement-{day.isoformat()}-{found.partner}".replace(" ", "_")
    if kind == "PDF":
        return Document(f"{stem}.pdf", "application/pdf", statement_pdf(found))
    return Document(f"{stem}.csv", "text/csv", statement_csv(found).encode())


async def matrix_document(connection: Executor, coalition_id: uuid.UUID, day: date) -> Document:
    coalition = await coalitions.coalition_by_id(connection, coalition_id)
    run = (await repository.runs_on(connection, coalition_id, [day])).get(day)
    if coalition is None or run is None:
        raise DomainError(ErrorCode.NOT_FOUND, "no settlement run for that day")
    names = await outputs_repository.partner_names(connection, coalition_id)
    rows = await outputs_repository.matrix(connection, run.id)
    table = [
        (party_name(names, r.issuer_partner_id, coalition.name), party_name(names, r.redeemer_partner_id, ""), r.points)
        for r in rows
    ]
    return Document(f"matrix-{day.isoformat()}.csv", "text/csv", matrix_csv(table).encode())


async def sepa_document(
    connection: Executor, coalition_id: uuid.UUID, start: date, end: date, execution: date
) -> tuple[Document, payouts.Payout]:
    coalition = await coalitions.coalition_by_id(connection, coalition_id)
    assert coalition is not None
    account = await outputs_repository.paying_account(connection, coalition_id)
    payer = payouts.check_payer(account.name, account.iban, account.bic)
    period = await payouts.payout(connection, coalition_id, start, end)
    content = payouts.pain001(period, payer, coalition.currency, execution)
    return Document(f"payouts-{start.isoformat()}-{end.isoformat()}.xml", "application/xml", content), period
