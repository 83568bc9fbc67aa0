"""Settlement's mutations: the operator settles, approves and pays days, sets
the funding policy and partners' fees, and lets a partner leave."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date

import strawberry
from strawberry.types import Info

from coalition.graphql.common import parse_id
from coalition.graphql.context import Context
from coalition.graphql.partners.types import Partner
from coalition.graphql.permissions import refusals_as, require_finance, require_operator
from coalition.graphql.settlement.inputs import PartnerContractInput, SettlementPolicyInput
from coalition.graphql.settlement.types import (
    ContractPayload,
    PayingAccount,
    PayingAccountPayload,
    SettlementPayload,
    SettlementPolicy,
    SettlementPolicyPayload,
    SettlementRun,
    TerminatePartnerPayload,
)
from coalition.platform.auth.service import Principal
from coalition.platform.errors import DomainError
from coalition.platform.runtime.database import AsyncSession
from coalition.settlement import service as settlement
from coalition.settlement.reads import RunRecord

DayStep = Callable[[AsyncSession, Principal, date], Awaitable[RunRecord]]
# The service names the policy's fields; setPayingAccount's arguments are shorter.
_PAYER_ARGUMENTS = {"payerName": "name", "payerIban": "iban", "payerBic": "bic"}


async def _settlement_step(
    info: Info[Context, None], doing: str, step: DayStep, business_date: date
) -> SettlementPayload:
    """One finance step on a day's run (settle, approve, mark paid), answered with the run."""
    principal = require_finance(info.context, doing)
    async with info.context.unit_of_work() as session:
        run = await step(session, principal, business_date)
    return SettlementPayload(run=SettlementRun.of(run))


@strawberry.type
class SettlementMutations:
    @strawberry.mutation(description="Operator: settle a day (provisional while the day is open). Safe to repeat.")
    @refusals_as(SettlementPayload)
    async def run_settlement(self, info: Info[Context, None], business_date: date) -> SettlementPayload:
        return await _settlement_step(
            info, "run settlements", lambda session, by, day: settlement.run_day(session, by.coalition_id, day),
            business_date,
        )  # fmt: skip

    @strawberry.mutation(description="Operator: make a closed day's run final.")
    @refusals_as(SettlementPayload)
    async def approve_settlement(self, info: Info[Context, None], business_date: date) -> SettlementPayload:
        return await _settlement_step(info, "approve settlements", settlement.approve, business_date)

    @strawberry.mutation(description="Operator: record that an approved day's money has moved.")
    @refusals_as(SettlementPayload)
    async def mark_settlement_paid(self, info: Info[Context, None], business_date: date) -> SettlementPayload:
        return await _settlement_step(info, "mark settlements paid", settlement.mark_paid, business_date)

    @strawberry.mutation(
        description="Operator, finance included: the account payout files pay from (the rest of the policy stays)."
    )
    @refusals_as(PayingAccountPayload)
    async def set_paying_account(
        self, info: Info[Context, None], name: str, iban: str, bic: str | None = None
    ) -> PayingAccountPayload:
        principal = require_finance(info.context, "set the paying account")
        try:
            async with info.context.unit_of_work() as session:
                payer = await settlement.set_paying_account(session, principal, name, iban, bic)
        except DomainError as error:
            error.field = tuple(_PAYER_ARGUMENTS.get(f, f) for f in error.field) if error.field else None
            raise
        return PayingAccountPayload(account=PayingAccount(name=payer.name, iban=payer.iban, bic=payer.bic))

    @strawberry.mutation(description="Operator: how the coalition is funded (from the next computed run on).")
    @refusals_as(SettlementPolicyPayload)
    async def set_settlement_policy(
        self, info: Info[Context, None], input: SettlementPolicyInput
    ) -> SettlementPolicyPayload:
        principal = require_operator(info.context, "set the settlement policy")
        spec = settlement.PolicySpec(
            input.funding_model, input.issuance_price, input.redemption_value, input.breakage_percent,
            input.payer_name, input.payer_iban, input.payer_bic, input.exit_model,
        )  # fmt: skip
        async with info.context.unit_of_work() as session:
            await settlement.set_policy(session, principal, spec)
        return SettlementPolicyPayload(
            policy=SettlementPolicy(
                funding_model=spec.funding_model,
                issuance_price=spec.issuance_price,
                redemption_value=spec.redemption_value,
                breakage_percent=spec.breakage_percent,
                exit_model=spec.exit_model,
            )
        )

    @strawberry.mutation(
        description="Operator: the partner leaves for good. Its keys stop working at once; the run of today "
        "settles its outstanding points under the exit model; members holding them get a notice."
    )
    @refusals_as(TerminatePartnerPayload)
    async def terminate_partner(
        self, info: Info[Context, None], id: strawberry.ID, reason: str
    ) -> TerminatePartnerPayload:
        principal = require_operator(info.context, "terminate partners")
        async with info.context.unit_of_work() as session:
            done = await settlement.terminate_partner(session, principal, parse_id(id), reason)
        return TerminatePartnerPayload(
            partner=Partner.of(done.partner), settled_on=done.business_date, exit_model=done.model,
            members_notified=done.members_told,
        )  # fmt: skip

    @strawberry.mutation(description="Operator: a partner's fees.")
    @refusals_as(ContractPayload)
    async def set_partner_contract(self, info: Info[Context, None], input: PartnerContractInput) -> ContractPayload:
        principal = require_operator(info.context, "set contracts")
        async with info.context.unit_of_work() as session:
            await settlement.set_contract(
                session, principal, parse_id(input.partner_id, "partnerId"),
                fee_per_point_issued=input.fee_per_point_issued,
                fee_percent_of_redemption=input.fee_percent_of_redemption,
            )  # fmt: skip
        return ContractPayload(saved=True)
