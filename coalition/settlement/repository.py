"""Settlement queries: the day's flows in one set-based statement, and runs."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert

from coalition.platform.runtime.database import EXCLUDED_UPDATED_AT, Executor
from coalition.settlement.rules import Contract, DayFlows, ExitModel, FundingModel, Party, Policy, Reason, Settlement
from coalition.settlement.tables import (
    partner_contracts,
    partner_exits,
    settlement_lines,
    settlement_matrix,
    settlement_obligations,
    settlement_policies,
    settlement_runs,
)

# The day's points per flow and party, from the day's rows only (the
# transactions of (coalition, day) by index, their lots and consumptions),
# so the cost follows the day's volume, never the ledger's history.
# Issued: lots of EARN and BONUS transactions, less points clawed back by
# earn reversals. Redeemed: per (issuer, redeeming partner), less restored.
# Plain joins, no CTE: the planner may then run both halves in parallel.
_DAY_FLOWS = text(
    """
    SELECT 'ISSUED' AS flow, l.issuer_partner_id AS issuer, NULL::uuid AS redeemer, sum(l.points) AS points
      FROM lots l JOIN ledger_transactions t ON t.member_id = l.member_id AND t.id = l.transaction_id
     WHERE t.coalition_id = :coalition AND t.business_date = :day AND t.kind IN ('EARN', 'BONUS')
     GROUP BY l.issuer_partner_id
    UNION ALL
    SELECT CASE c.kind WHEN 'CLAWBACK' THEN 'ISSUED' WHEN 'DONATE' THEN 'DONATED'
                       WHEN 'EXPIRE' THEN 'EXPIRED' ELSE 'REDEEMED' END,
           c.issuer_partner_id,
           CASE WHEN c.kind IN ('REDEEM', 'RESTORE') THEN c.partner_id END,
           sum(CASE WHEN c.kind IN ('CLAWBACK', 'RESTORE') THEN -c.points ELSE c.points END)
      FROM lot_consumptions c JOIN ledger_transactions t ON t.member_id = c.member_id AND t.id = c.transaction_id
     WHERE t.coalition_id = :coalition AND t.business_date = :day
       AND c.business_date = :day AND c.kind <> 'TRANSFER'
     GROUP BY 1, 2, 3
    """
)

# Enough memory for a busy day's joins and sorts to stay off disk; for this
# transaction only.
_SETTLEMENT_WORK_MEM = text("SET LOCAL work_mem = '64MB'")


# A partner bought out on its exit day: its points outstanding at the end of
# that day are those outstanding now, less what later days added (lots
# created by later transactions: transfers) plus what later days took away
# (signed consumptions), summed per partner through joins on the member (which
# Citus keeps on one shard); later days are read through their transactions.
_BOUGHT_OUT = text(
    """
    WITH exits AS (SELECT partner_id FROM partner_exits
                    WHERE coalition_id = :coalition AND business_date = :day AND exit_model = 'BUY_OUT'
    ), outstanding AS (
      SELECT issuer_partner_id AS partner_id, sum(remaining) AS n FROM lots
       WHERE remaining > 0 AND issuer_partner_id IN (SELECT partner_id FROM exits) GROUP BY 1
    ), earned_later AS (
      SELECT l.issuer_partner_id AS partner_id, sum(l.points) AS n
        FROM lots l JOIN ledger_transactions t ON t.member_id = l.member_id AND t.id = l.transaction_id
       WHERE t.coalition_id = :coalition AND t.business_date > :day
         AND l.issuer_partner_id IN (SELECT partner_id FROM exits) GROUP BY 1
    ), spent_later AS (
      SELECT c.issuer_partner_id AS partner_id, sum(CASE c.kind WHEN 'RESTORE' THEN -c.points ELSE c.points END) AS n
        FROM lot_consumptions c JOIN ledger_transactions t ON t.member_id = c.member_id AND t.id = c.transaction_id
       WHERE t.coalition_id = :coalition AND t.business_date > :day
         AND c.issuer_partner_id IN (SELECT partner_id FROM exits) GROUP BY 1
    )
    SELECT e.partner_id, coalesce(o.n, 0) - coalesce(el.n, 0) + coalesce(sl.n, 0) AS points
      FROM exits e LEFT JOIN outstanding o USING (partner_id) LEFT JOIN earned_later el USING (partner_id)
      LEFT JOIN spent_later sl USING (partner_id)
    """
)


async def bought_out_before(connection: Executor, coalition_id: uuid.UUID, day: date) -> set[uuid.UUID]:
    """Partners bought out on an earlier day: their points are now the coalition's."""
    rows = await connection.execute(
        text(
            "SELECT partner_id FROM partner_exits WHERE coalition_id = :coalition AND business_date < :day"
            " AND exit_model = 'BUY_OUT'"
        ),
        {"coalition": coalition_id, "day": day},
    )
    return {row.partner_id for row in rows}


async def day_flows(connection: Executor, coalition_id: uuid.UUID, day: date) -> DayFlows:
    gone = await bought_out_before(connection, coalition_id, day)

    def owner(issuer: Party) -> Party:
        return None if issuer in gone else issuer

    issued: dict[Party, int] = defaultdict(int)
    redeemed: dict[tuple[Party, uuid.UUID], int] = defaultdict(int)
    donated: dict[Party, int] = defaultdict(int)
    expired: dict[Party, int] = defaultdict(int)
    await connection.execute(_SETTLEMENT_WORK_MEM)
    for row in await connection.execute(_DAY_FLOWS, {"coalition": coalition_id, "day": day}):
        points, issuer = int(row.points), owner(row.issuer)
        if row.flow == "ISSUED":
            issued[issuer] += points
        elif row.flow == "REDEEMED":
            redeemed[(issuer, row.redeemer)] += points
        elif row.flow == "DONATED":
            donated[issuer] += points
        else:
            expired[issuer] += points
    bought_out = {
        row.partner_id: int(row.points)
        for row in await connection.execute(_BOUGHT_OUT, {"coalition": coalition_id, "day": day})
    }
    return DayFlows(
        issued={k: v for k, v in issued.items() if v},
        redeemed={k: v for k, v in redeemed.items() if v},
        donated={k: v for k, v in donated.items() if v},
        expired={k: v for k, v in expired.items() if v},
        bought_out={k: v for k, v in bought_out.items() if v},
    )


async def policy(connection: Executor, coalition_id: uuid.UUID, point_value: Decimal) -> Policy:
    row = (
        await connection.execute(select(settlement_policies).where(settlement_policies.c.coalition_id == coalition_id))
    ).first()
    contracts = {
        r.partner_id: Contract(r.fee_per_point_issued, r.fee_percent_of_redemption)
        for r in await connection.execute(
            text(
                "SELECT pc.* FROM partner_contracts pc JOIN partners p ON p.id = pc.partner_id"
                " WHERE p.coalition_id = :coalition"
            ),
            {"coalition": coalition_id},
        )
    }
    if row is None:
        return Policy(FundingModel.AT_REDEMPTION, point_value, Decimal(0), point_value, contracts=contracts)
    return Policy(
        FundingModel(row.funding_model),
        point_value,
        row.issuance_price,
        row.redemption_value if row.redemption_value is not None else point_value,
        row.breakage_percent,
        contracts,
        ExitModel(row.exit_model),
    )


async def save_policy(connection: Executor, coalition_id: uuid.UUID, **values: Any) -> None:
    await connection.execute(
        insert(settlement_policies)
        .values(coalition_id=coalition_id, **values)
        .on_conflict_do_update(
            index_elements=[settlement_policies.c.coalition_id], set_={**values, "updated_at": EXCLUDED_UPDATED_AT}
        )
    )


async def save_payer(connection: Executor, coalition_id: uuid.UUID, **payer: Any) -> None:
    """Only the paying account; a coalition without a policy gets the default one with it."""
    await connection.execute(
        insert(settlement_policies)
        .values(coalition_id=coalition_id, funding_model=FundingModel.AT_REDEMPTION.value, **payer)
        .on_conflict_do_update(
            index_elements=[settlement_policies.c.coalition_id], set_={**payer, "updated_at": EXCLUDED_UPDATED_AT}
        )
    )


async def save_contract(connection: Executor, partner_id: uuid.UUID, **values: Any) -> None:
    await connection.execute(
        insert(partner_contracts)
        .values(partner_id=partner_id, **values)
        .on_conflict_do_update(
            index_elements=[partner_contracts.c.partner_id], set_={**values, "updated_at": EXCLUDED_UPDATED_AT}
        )
    )


# ---------- runs ----------


@dataclass(frozen=True)
class RunRecord:
    id: uuid.UUID
    coalition_id: uuid.UUID
    business_date: date
    status: str
    funding_model: str
    currency: str
    rounding_minor: Decimal
    computed_at: datetime
    approved_at: datetime | None
    approved_by: str | None
    paid_at: datetime | None


def _run(row: Row[Any]) -> RunRecord:
    return RunRecord(**{k: row._mapping[k] for k in RunRecord.__dataclass_fields__})


async def claim_run(connection: Executor, coalition_id: uuid.UUID, day: date, model: str, currency: str) -> RunRecord:
    """The day's run, created (still to compute) if new, locked for this
    transaction: a second settler of the same day waits here, then finds the
    run done."""
    await connection.execute(
        insert(settlement_runs)
        .values(
            coalition_id=coalition_id, business_date=day, status="PROVISIONAL", funding_model=model, currency=currency
        )
        .on_conflict_do_nothing()
    )
    run = await run_for_update(connection, coalition_id, day)
    assert run is not None, "the run was just inserted or already there"
    return run


async def run_for_update(connection: Executor, coalition_id: uuid.UUID, day: date) -> RunRecord | None:
    row = (
        await connection.execute(
            select(settlement_runs)
            .where(settlement_runs.c.coalition_id == coalition_id, settlement_runs.c.business_date == day)
            .with_for_update()
        )
    ).first()
    return None if row is None else _run(row)


async def runs_on(connection: Executor, coalition_id: uuid.UUID, days: list[date]) -> dict[date, RunRecord]:
    rows = await connection.execute(
        select(settlement_runs).where(
            settlement_runs.c.coalition_id == coalition_id, settlement_runs.c.business_date.in_(days)
        )
    )
    return {row.business_date: _run(row) for row in rows}


async def run_page(connection: Executor, coalition_id: uuid.UUID, before: date | None, limit: int) -> list[RunRecord]:
    """Runs newest day first, of days before ``before`` when given."""
    query = select(settlement_runs).where(settlement_runs.c.coalition_id == coalition_id)
    if before is not None:
        query = query.where(settlement_runs.c.business_date < before)
    rows = await connection.execute(query.order_by(settlement_runs.c.business_date.desc()).limit(limit))
    return [_run(row) for row in rows]


async def store(
    connection: Executor, run: RunRecord, status: str, flows: DayFlows, result: Settlement, flows_model: str
) -> RunRecord:
    """Replaces the run's figures (allowed until it is approved) and its status."""
    for table in (settlement_lines, settlement_obligations, settlement_matrix):
        await connection.execute(delete(table).where(table.c.run_id == run.id))
    if result.lines:
        await connection.execute(
            settlement_lines.insert(),
            [
                {"run_id": run.id, "line": n, "partner_id": line.party, "points_issued": line.points_issued,
                 "points_redeemed": line.points_redeemed, "receivable_minor": line.receivable_minor,
                 "payable_minor": line.payable_minor, "fees_minor": line.fees_minor, "net_minor": line.net_minor}
                for n, line in enumerate(result.lines, 1)
            ],
        )  # fmt: skip
    if result.obligations:
        await connection.execute(
            settlement_obligations.insert(),
            [
                {"run_id": run.id, "line": n, "debtor_partner_id": o.debtor, "creditor_partner_id": o.creditor,
                 "reason": o.reason.value, "points": o.points, "amount_minor": o.amount_minor, "exact_minor": o.exact}
                for n, o in enumerate(result.obligations, 1)
            ],
        )  # fmt: skip
    if flows.redeemed:
        await connection.execute(
            settlement_matrix.insert(),
            [
                {"run_id": run.id, "line": n, "issuer_partner_id": issuer, "redeemer_partner_id": redeemer,
                 "points": points}
                for n, ((issuer, redeemer), points) in enumerate(sorted(flows.redeemed.items(), key=str), 1)
            ],
        )  # fmt: skip
    row = (
        await connection.execute(
            update(settlement_runs)
            .where(settlement_runs.c.id == run.id)
            .values(
                status=status,
                funding_model=flows_model,
                rounding_minor=result.rounding_minor,
                computed_at=func.now(),
            )
            .returning(settlement_runs)
        )
    ).one()
    return _run(row)


async def set_status(connection: Executor, run_id: uuid.UUID, **values: Any) -> RunRecord:
    row = (
        await connection.execute(
            update(settlement_runs).where(settlement_runs.c.id == run_id).values(**values).returning(settlement_runs)
        )
    ).one()
    return _run(row)


@dataclass(frozen=True)
class LineRecord:
    run_id: uuid.UUID
    partner_id: uuid.UUID | None
    points_issued: int
    points_redeemed: int
    receivable_minor: int
    payable_minor: int
    fees_minor: int
    net_minor: int


@dataclass(frozen=True)
class ObligationRecord:
    run_id: uuid.UUID
    debtor_partner_id: uuid.UUID | None
    creditor_partner_id: uuid.UUID | None
    reason: Reason
    points: int
    amount_minor: int


async def lines_of(connection: Executor, run_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[LineRecord]]:
    found: dict[uuid.UUID, list[LineRecord]] = {r: [] for r in run_ids}
    rows = await connection.execute(
        select(settlement_lines).where(settlement_lines.c.run_id.in_(run_ids)).order_by(settlement_lines.c.line)
    )
    for row in rows:
        found[row.run_id].append(LineRecord(**{k: row._mapping[k] for k in LineRecord.__dataclass_fields__}))
    return found


async def obligations_of(connection: Executor, run_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[ObligationRecord]]:
    found: dict[uuid.UUID, list[ObligationRecord]] = {r: [] for r in run_ids}
    rows = await connection.execute(
        select(settlement_obligations)
        .where(settlement_obligations.c.run_id.in_(run_ids))
        .order_by(settlement_obligations.c.line)
    )
    for row in rows:
        found[row.run_id].append(
            ObligationRecord(
                row.run_id, row.debtor_partner_id, row.creditor_partner_id, Reason(row.reason), row.points,
                row.amount_minor,
            )
        )  # fmt: skip
    return found


async def outstanding_points(connection: Executor, partner_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Points each partner issued that are still in members' wallets: its liability."""
    rows = await connection.execute(
        text(
            "SELECT issuer_partner_id, sum(remaining) AS points FROM lots"
            " WHERE issuer_partner_id = ANY(CAST(:ids AS uuid[])) AND remaining > 0 GROUP BY issuer_partner_id"
        ),
        {"ids": partner_ids},
    )
    return {row.issuer_partner_id: int(row.points) for row in rows}


async def record_exit(
    connection: Executor, coalition_id: uuid.UUID, partner_id: uuid.UUID, day: date, model: ExitModel, reason: str
) -> None:
    await connection.execute(
        insert(partner_exits).values(
            partner_id=partner_id, coalition_id=coalition_id, business_date=day, exit_model=model.value, reason=reason
        )
    )


async def exit_of(connection: Executor, partner_id: uuid.UUID) -> Row[Any] | None:
    return (await connection.execute(select(partner_exits).where(partner_exits.c.partner_id == partner_id))).first()


async def nets_by_day(connection: Executor, coalition_id: uuid.UUID | None) -> list[tuple[uuid.UUID, date, int]]:
    """Runs whose nets do not sum to zero (ledger invariant 5): none, ever."""
    query = text(
        "SELECT r.id, r.business_date, sum(l.net_minor) AS total FROM settlement_runs r"
        " JOIN settlement_lines l ON l.run_id = r.id"
        " WHERE CAST(:coalition AS uuid) IS NULL OR r.coalition_id = :coalition"
        " GROUP BY r.id, r.business_date HAVING sum(l.net_minor) <> 0"
    )
    return [(r.id, r.business_date, int(r.total)) for r in await connection.execute(query, {"coalition": coalition_id})]
