"""Settlement runs (the operator: every line; a partner: its own view) and payouts (the operator)."""

from __future__ import annotations

from datetime import date

import strawberry
from strawberry.types import Info

from coalition.graphql import permissions
from coalition.graphql.common import Money, PageInfo, page_size
from coalition.graphql.context import Context
from coalition.graphql.settlement.types import (
    PartnerContract,
    PayingAccount,
    PayoutLine,
    PayoutPeriod,
    SettlementPolicy,
    SettlementRun,
    SettlementRunConnection,
    SettlementRunEdge,
)
from coalition.platform.errors import validation
from coalition.settlement import reads as settlement_reads
from coalition.settlement import service as settlement


@strawberry.type
class SettlementQueries:
    @strawberry.field(description="A day's run: the operator sees all lines; a partner its own view.")
    async def settlement_run(self, info: Info[Context, None], business_date: date) -> SettlementRun | None:
        if not permissions.may_see_settlement(info.context.principal):
            return None
        async with info.context.services.engine.connect() as connection:
            run = await settlement_reads.run_on(connection, info.context.principal.coalition_id, business_date)
        return SettlementRun.of(run) if run else None

    @strawberry.field(description="Runs, newest day first.")
    async def settlement_runs(
        self, info: Info[Context, None], first: int | None = 31, after: str | None = None
    ) -> SettlementRunConnection | None:
        if not permissions.may_see_settlement(info.context.principal):
            return None
        limit = page_size(first)
        try:
            before = date.fromisoformat(after) if after else None
        except ValueError as exc:
            raise validation("not a valid cursor", "after") from exc
        async with info.context.services.engine.connect() as connection:
            runs = await settlement_reads.runs_before(
                connection, info.context.principal.coalition_id, before, limit + 1
            )
        edges = [SettlementRunEdge(node=SettlementRun.of(r), cursor=r.business_date.isoformat()) for r in runs[:limit]]
        return SettlementRunConnection(
            edges=edges, page_info=PageInfo.after([e.cursor for e in edges], more=len(runs) > limit)
        )


@strawberry.type
class PayoutQueries:
    @strawberry.field(description="Operator: what each partner is owed (or owes) over approved days of a period.")
    async def payout_period(self, info: Info[Context, None], start: date, end: date) -> PayoutPeriod | None:
        principal = info.context.principal
        if not permissions.is_operator(principal):
            return None
        currency = (await info.context.coalition()).currency
        async with info.context.services.engine.connect() as connection:
            period = await settlement_reads.payout(connection, principal.coalition_id, start, end)
        return PayoutPeriod(
            start=period.start,
            end=period.end,
            approved_days=list(period.approved_days),
            unapproved_days=list(period.unapproved_days),
            lines=[
                PayoutLine(net=Money.of_minor(line.net_minor, currency), iban=line.iban, problem=line.problem,
                           partner_id=line.partner_id)
                for line in period.lines
            ],
        )  # fmt: skip

    @strawberry.field(description="Operator: how the coalition is funded and what a leaving partner's points cost.")
    async def settlement_policy(self, info: Info[Context, None]) -> SettlementPolicy | None:
        policy = await _policy(info)
        if policy is None:
            return None
        return SettlementPolicy(
            funding_model=policy.model, issuance_price=policy.issuance_price,
            redemption_value=policy.redemption_value, breakage_percent=policy.breakage_percent,
            exit_model=policy.exit_model,
        )  # fmt: skip

    @strawberry.field(description="Operator: the account the coalition's payout files pay from.")
    async def paying_account(self, info: Info[Context, None]) -> PayingAccount | None:
        principal = info.context.principal
        if not permissions.is_operator(principal):
            return None
        async with info.context.services.engine.connect() as connection:
            found = await settlement.paying_account(connection, principal.coalition_id)
        return PayingAccount(name=found.name, iban=found.iban, bic=found.bic)

    @strawberry.field(description="Operator: the partners' fees, for those with a contract.")
    async def partner_contracts(self, info: Info[Context, None]) -> list[PartnerContract]:
        policy = await _policy(info)
        if policy is None:
            return []
        return [
            PartnerContract(fee_per_point_issued=c.fee_per_point_issued,
                            fee_percent_of_redemption=c.fee_percent_of_redemption, partner_id=partner_id)
            for partner_id, c in policy.contracts.items()
        ]  # fmt: skip


async def _policy(info: Info[Context, None]) -> settlement_reads.Policy | None:
    principal = info.context.principal
    if not permissions.is_operator(principal):
        return None
    coalition = await info.context.coalition()
    async with info.context.services.engine.connect() as connection:
        return await settlement_reads.policy(connection, principal.coalition_id, coalition.point_value)
