"""Queries for what settlement hands out: partner names on statements, the
run's matrix, the paying account and the payout periods."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import text

from coalition.platform.runtime.database import Executor


async def partner_names(connection: Executor, coalition_id: uuid.UUID) -> dict[uuid.UUID, str]:
    rows = await connection.execute(text("SELECT id, name FROM partners WHERE coalition_id = :c"), {"c": coalition_id})
    return {row.id: row.name for row in rows}


@dataclass(frozen=True)
class MatrixCell:
    issuer_partner_id: uuid.UUID | None  # None: the coalition
    redeemer_partner_id: uuid.UUID | None
    points: int


async def matrix(connection: Executor, run_id: uuid.UUID) -> list[MatrixCell]:
    rows = await connection.execute(
        text(
            "SELECT issuer_partner_id, redeemer_partner_id, points FROM settlement_matrix"
            " WHERE run_id = :r ORDER BY line"
        ),
        {"r": run_id},
    )
    return [MatrixCell(r.issuer_partner_id, r.redeemer_partner_id, r.points) for r in rows]


@dataclass(frozen=True)
class PayingAccount:
    name: str | None
    iban: str | None
    bic: str | None


async def paying_account(connection: Executor, coalition_id: uuid.UUID) -> PayingAccount:
    """The account the coalition pays partners from, as its settlement policy names it."""
    row = (
        await connection.execute(
            text("SELECT payer_name, payer_iban, payer_bic FROM settlement_policies WHERE coalition_id = :c"),
            {"c": coalition_id},
        )
    ).first()
    return PayingAccount(None, None, None) if row is None else PayingAccount(*row)


async def run_statuses(connection: Executor, coalition_id: uuid.UUID, start: date, end: date) -> list[tuple[date, str]]:
    """Each settled day from ``start`` to ``end`` with its run's status, in order."""
    rows = await connection.execute(
        text(
            "SELECT business_date, status FROM settlement_runs WHERE coalition_id = :c"
            " AND business_date BETWEEN :start AND :end ORDER BY business_date"
        ),
        {"c": coalition_id, "start": start, "end": end},
    )
    return [(row.business_date, row.status) for row in rows]


@dataclass(frozen=True)
class PartnerNet:
    partner_id: uuid.UUID
    name: str
    iban: str | None
    net_minor: int


async def approved_nets(connection: Executor, coalition_id: uuid.UUID, start: date, end: date) -> list[PartnerNet]:
    """Each partner's net over the approved (or paid) days of the period, by name."""
    rows = await connection.execute(
        text(
            "SELECT p.id, p.name, pp.iban, sum(l.net_minor) AS net FROM settlement_lines l"
            " JOIN settlement_runs r ON r.id = l.run_id JOIN partners p ON p.id = l.partner_id"
            " LEFT JOIN partner_programmes pp ON pp.partner_id = p.id"
            " WHERE r.coalition_id = :c AND r.business_date BETWEEN :start AND :end"
            " AND r.status IN ('APPROVED', 'PAID')"
            " GROUP BY p.id, p.name, pp.iban ORDER BY p.name"
        ),
        {"c": coalition_id, "start": start, "end": end},
    )
    return [PartnerNet(row.id, row.name, row.iban, int(row.net)) for row in rows]
