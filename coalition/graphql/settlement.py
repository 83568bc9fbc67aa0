"""Settlement through GraphQL: the operator runs, approves and marks days
paid; a partner sees its own line and obligations of a run."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from enum import Enum

import strawberry
from strawberry.types import Info

from coalition.graphql.context import Context
from coalition.graphql.permissions import refusals_as, require_operator
from coalition.graphql.types import Money, MutationError, Node, PageInfo, Partner, page_size, parse_id
from coalition.platform.auth.tokens import CredentialKind
from coalition.platform.errors import validation
from coalition.settlement import repository
from coalition.settlement import service as settlement
from coalition.settlement.repository import RunRecord
from coalition.settlement.rules import FundingModel as Model

FundingModel = strawberry.enum(Model, name="FundingModel")


@strawberry.enum
class SettlementStatus(Enum):
    PROVISIONAL = "PROVISIONAL"
    COMPUTED = "COMPUTED"
    APPROVED = "APPROVED"
    PAID = "PAID"


async def _partner(info: Info[Context, None], partner_id: uuid.UUID | None) -> Partner | None:
    if partner_id is None:
        return None
    record = await info.context.partners.load(partner_id)
    return Partner.of(record) if record else None


def _viewer(info: Info[Context, None]) -> uuid.UUID | None:
    """The partner whose view this is; None for the operator (everything)."""
    principal = info.context.principal
    return principal.partner_id if principal.kind == CredentialKind.PARTNER else None


@strawberry.type
class SettlementLine:
    points_issued: int
    points_redeemed: int
    receivable: Money = strawberry.field(description="Owed to this party, gross.")
    payable: Money = strawberry.field(description="Owed by this party, gross.")
    fees: Money = strawberry.field(description="Fees this party pays the coalition (part of payable).")
    net: Money = strawberry.field(description="Receivable - payable; positive: this party is paid.")
    partner_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field(description="Null for the coalition itself.")
    async def partner(self, info: Info[Context, None]) -> Partner | None:
        return await _partner(info, self.partner_id)


@strawberry.type
class Obligation:
    points: int
    amount: Money
    reason: str = strawberry.field(description="CROSS_REDEMPTION, ISSUANCE, REDEMPTION, FEE, BREAKAGE or DONATION.")
    debtor_id: strawberry.Private[uuid.UUID | None]
    creditor_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field(name="from", description="Who owes; null: the coalition.")
    async def from_(self, info: Info[Context, None]) -> Partner | None:
        return await _partner(info, self.debtor_id)

    @strawberry.field(description="Who is owed; null: the coalition.")
    async def to(self, info: Info[Context, None]) -> Partner | None:
        return await _partner(info, self.creditor_id)


@strawberry.type
class SettlementRun(Node):
    id: strawberry.ID
    business_date: date
    status: SettlementStatus
    funding_model: FundingModel  # type: ignore[valid-type]
    rounding_minor: Decimal = strawberry.field(
        description="What rounding each obligation once (half-even) added in all, in minor units."
    )
    record: strawberry.Private[RunRecord]

    @classmethod
    def of(cls, run: RunRecord) -> SettlementRun:
        return cls(
            id=strawberry.ID(str(run.id)),
            business_date=run.business_date,
            status=SettlementStatus(run.status),
            funding_model=Model(run.funding_model),
            rounding_minor=run.rounding_minor.normalize() if run.rounding_minor else Decimal(0),
            record=run,
        )

    @strawberry.field(description="One per party with any activity, incl. the coalition (a partner: its own).")
    async def lines(self, info: Info[Context, None]) -> list[SettlementLine]:
        viewer = _viewer(info)
        currency = self.record.currency
        return [
            SettlementLine(
                points_issued=line.points_issued,
                points_redeemed=line.points_redeemed,
                receivable=Money.of_minor(line.receivable_minor, currency),
                payable=Money.of_minor(line.payable_minor, currency),
                fees=Money.of_minor(line.fees_minor, currency),
                net=Money.of_minor(line.net_minor, currency),
                partner_id=line.partner_id,
            )
            for line in await info.context.run_lines.load(self.record.id) or []
            if viewer is None or line.partner_id == viewer
        ]

    @strawberry.field(description="Gross, issuer -> redeemer and fees -> coalition (a partner: those it is in).")
    async def obligations(self, info: Info[Context, None]) -> list[Obligation]:
        viewer = _viewer(info)
        return [
            Obligation(
                points=o.points,
                amount=Money.of_minor(o.amount_minor, self.record.currency),
                reason=o.reason.value,
                debtor_id=o.debtor_partner_id,
                creditor_id=o.creditor_partner_id,
            )
            for o in await info.context.run_obligations.load(self.record.id) or []
            if viewer is None or viewer in (o.debtor_partner_id, o.creditor_partner_id)
        ]


@strawberry.type
class SettlementRunEdge:
    node: SettlementRun
    cursor: str


@strawberry.type
class SettlementRunConnection:
    edges: list[SettlementRunEdge]
    page_info: PageInfo


@strawberry.type
class SettlementPayload:
    run: SettlementRun | None = None
    errors: list[MutationError] = strawberry.field(default_factory=list)


@strawberry.type
class SettlementPolicy:
    funding_model: FundingModel  # type: ignore[valid-type]
    issuance_price: Decimal
    redemption_value: Decimal | None
    breakage_percent: Decimal


@strawberry.type
class SettlementPolicyPayload:
    policy: SettlementPolicy | None = None
    errors: list[MutationError] = strawberry.field(default_factory=list)


@strawberry.type
class ContractPayload:
    saved: bool = False
    errors: list[MutationError] = strawberry.field(default_factory=list)


@strawberry.input
class SettlementPolicyInput:
    funding_model: FundingModel  # type: ignore[valid-type]
    issuance_price: Decimal = Decimal(0)
    redemption_value: Decimal | None = strawberry.field(default=None, description="Default: the point value.")
    breakage_percent: Decimal = Decimal(0)


@strawberry.input
class PartnerContractInput:
    partner_id: strawberry.ID
    fee_per_point_issued: Decimal = Decimal(0)
    fee_percent_of_redemption: Decimal = Decimal(0)


def _visible(info: Info[Context, None]) -> bool:
    return info.context.principal.kind != CredentialKind.MEMBER


@strawberry.type
class SettlementQueries:
    @strawberry.field(description="A day's run: the operator sees all lines; a partner its own view.")
    async def settlement_run(self, info: Info[Context, None], business_date: date) -> SettlementRun | None:
        if not _visible(info):
            return None
        async with info.context.services.engine.connect() as connection:
            found = await repository.runs_on(connection, info.context.principal.coalition_id, [business_date])
        run = found.get(business_date)
        return SettlementRun.of(run) if run else None

    @strawberry.field(description="Runs, newest day first.")
    async def settlement_runs(
        self, info: Info[Context, None], first: int | None = 31, after: str | None = None
    ) -> SettlementRunConnection | None:
        if not _visible(info):
            return None
        limit = page_size(first)
        try:
            before = date.fromisoformat(after) if after else None
        except ValueError as exc:
            raise validation("not a valid cursor", "after") from exc
        async with info.context.services.engine.connect() as connection:
            runs = await repository.run_page(connection, info.context.principal.coalition_id, before, limit + 1)
        edges = [SettlementRunEdge(node=SettlementRun.of(r), cursor=r.business_date.isoformat()) for r in runs[:limit]]
        return SettlementRunConnection(
            edges=edges,
            page_info=PageInfo(has_next_page=len(runs) > limit, end_cursor=edges[-1].cursor if edges else None),
        )


@strawberry.type
class SettlementMutations:
    @strawberry.mutation(description="Operator: settle a day (provisional while the day is open). Safe to repeat.")
    @refusals_as(SettlementPayload)
    async def run_settlement(self, info: Info[Context, None], business_date: date) -> SettlementPayload:
        principal = require_operator(info.context, "run settlements")
        async with info.context.services.sessions.begin() as session:
            run = await settlement.run_day(session, principal.coalition_id, business_date)
        return SettlementPayload(run=SettlementRun.of(run))

    @strawberry.mutation(description="Operator: make a closed day's run final.")
    @refusals_as(SettlementPayload)
    async def approve_settlement(self, info: Info[Context, None], business_date: date) -> SettlementPayload:
        principal = require_operator(info.context, "approve settlements")
        async with info.context.services.sessions.begin() as session:
            run = await settlement.approve(session, principal, business_date)
        return SettlementPayload(run=SettlementRun.of(run))

    @strawberry.mutation(description="Operator: record that an approved day's money has moved.")
    @refusals_as(SettlementPayload)
    async def mark_settlement_paid(self, info: Info[Context, None], business_date: date) -> SettlementPayload:
        principal = require_operator(info.context, "mark settlements paid")
        async with info.context.services.sessions.begin() as session:
            run = await settlement.mark_paid(session, principal, business_date)
        return SettlementPayload(run=SettlementRun.of(run))

    @strawberry.mutation(description="Operator: how the coalition is funded (from the next computed run on).")
    @refusals_as(SettlementPolicyPayload)
    async def set_settlement_policy(
        self, info: Info[Context, None], input: SettlementPolicyInput
    ) -> SettlementPolicyPayload:
        principal = require_operator(info.context, "set the settlement policy")
        spec = settlement.PolicySpec(
            input.funding_model, input.issuance_price, input.redemption_value, input.breakage_percent
        )
        async with info.context.services.sessions.begin() as session:
            await settlement.set_policy(session, principal, spec)
        return SettlementPolicyPayload(
            policy=SettlementPolicy(
                funding_model=spec.funding_model,
                issuance_price=spec.issuance_price,
                redemption_value=spec.redemption_value,
                breakage_percent=spec.breakage_percent,
            )
        )

    @strawberry.mutation(description="Operator: a partner's fees.")
    @refusals_as(ContractPayload)
    async def set_partner_contract(self, info: Info[Context, None], input: PartnerContractInput) -> ContractPayload:
        principal = require_operator(info.context, "set contracts")
        async with info.context.services.sessions.begin() as session:
            await settlement.set_contract(
                session, principal, parse_id(input.partner_id, "partnerId"),
                fee_per_point_issued=input.fee_per_point_issued,
                fee_percent_of_redemption=input.fee_percent_of_redemption,
            )  # fmt: skip
        return ContractPayload(saved=True)
