"""Settlement through GraphQL: the operator runs, approves and marks days
paid; a partner sees its own line and obligations of a run."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import Enum

import strawberry
from strawberry.types import Info

from coalition.graphql.context import Context
from coalition.graphql.permissions import refusals_as, require_operator
from coalition.graphql.types import Money, MutationError, Node, PageInfo, Partner, page_size, parse_id
from coalition.platform.auth.tokens import CredentialKind
from coalition.platform.errors import validation
from coalition.platform.runtime.broadcasts import CREDENTIALS_REVOKED, RULES_CHANGED, announce
from coalition.settlement import downloads, payouts, repository
from coalition.settlement import service as settlement
from coalition.settlement.repository import RunRecord
from coalition.settlement.rules import ExitModel as Exit
from coalition.settlement.rules import FundingModel as Model

FundingModel = strawberry.enum(Model, name="FundingModel")
ExitModel = strawberry.enum(
    Exit, name="ExitModel", description="What a leaving partner's outstanding points cost it (AT_REDEMPTION)."
)


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

    @strawberry.field(description="A partner's statement for this run (a partner: its own; the operator: any).")
    async def statement(
        self, info: Info[Context, None], format: StatementFormat, partner_id: strawberry.ID | None = None
    ) -> Download | None:
        principal = info.context.principal
        if principal.kind == CredentialKind.PARTNER:
            if partner_id is not None and parse_id(partner_id, "partnerId") != principal.partner_id:
                return None
            target = principal.partner_id
        elif principal.kind == CredentialKind.OPERATOR and partner_id is not None:
            target = parse_id(partner_id, "partnerId")
        else:
            return None
        url, expires = await downloads.issue(
            info.context.services.redis,
            {"kind": "statement", "coalition": str(principal.coalition_id), "day": self.business_date.isoformat(),
             "partner": str(target), "format": format.value},
        )  # fmt: skip
        return Download(url=url, expires_at=expires)

    @strawberry.field(description="Operator: the earned-at x redeemed-at matrix as CSV.")
    async def matrix(self, info: Info[Context, None]) -> Download | None:
        principal = info.context.principal
        if principal.kind != CredentialKind.OPERATOR:
            return None
        url, expires = await downloads.issue(
            info.context.services.redis,
            {"kind": "matrix", "coalition": str(principal.coalition_id), "day": self.business_date.isoformat()},
        )
        return Download(url=url, expires_at=expires)

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


@strawberry.type(description="A file to fetch with a plain GET; the link expires.")
class Download:
    url: str
    expires_at: datetime


@strawberry.enum
class StatementFormat(Enum):
    CSV = "CSV"
    PDF = "PDF"


@strawberry.type
class PayoutLine:
    net: Money = strawberry.field(description="Positive: the coalition pays this partner.")
    iban: str | None
    problem: str | None = strawberry.field(description="Why it cannot be paid by transfer (e.g. no valid IBAN).")
    partner_id: strawberry.Private[uuid.UUID]

    @strawberry.field
    async def partner(self, info: Info[Context, None]) -> Partner | None:
        return await _partner(info, self.partner_id)


@strawberry.type(description="Approved days of a period, summed per partner.")
class PayoutPeriod:
    start: date
    end: date
    approved_days: list[date]
    unapproved_days: list[date] = strawberry.field(description="Settled but not approved: not included.")
    lines: list[PayoutLine]

    @strawberry.field(description="The SEPA credit transfers (pain.001.001.03) for the partners owed money.")
    async def sepa_file(self, info: Info[Context, None], execution_date: date | None = None) -> Download:
        url, expires = await downloads.issue(
            info.context.services.redis,
            {"kind": "sepa", "coalition": str(info.context.principal.coalition_id), "start": self.start.isoformat(),
             "end": self.end.isoformat(), "execution": (execution_date or date.today()).isoformat()},
        )  # fmt: skip
        return Download(url=url, expires_at=expires)


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
    exit_model: ExitModel  # type: ignore[valid-type]


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
    payer_name: str | None = strawberry.field(default=None, description="The account payouts are made from.")
    payer_iban: str | None = None
    payer_bic: str | None = None
    exit_model: ExitModel = strawberry.field(  # type: ignore[valid-type]
        default=Exit.BUY_OUT,
        description="BUY_OUT: a leaving partner pays for its outstanding points in the run of the day it leaves, "
        "and the coalition honours them from then on. KEEP_LIABLE: it keeps paying as they are spent.",
    )


@strawberry.type
class TerminatePartnerPayload:
    partner: Partner | None = None
    settled_on: date | None = strawberry.field(
        default=None, description="The business day whose run settles its outstanding points."
    )
    exit_model: ExitModel | None = None  # type: ignore[valid-type]
    members_notified: int = 0
    errors: list[MutationError] = strawberry.field(default_factory=list)


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
class PayoutQueries:
    @strawberry.field(description="Operator: what each partner is owed (or owes) over approved days of a period.")
    async def payout_period(self, info: Info[Context, None], start: date, end: date) -> PayoutPeriod | None:
        principal = info.context.principal
        if principal.kind != CredentialKind.OPERATOR:
            return None
        currency = (await info.context.coalition()).currency
        async with info.context.services.engine.connect() as connection:
            period = await payouts.payout(connection, principal.coalition_id, start, end)
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
            input.funding_model, input.issuance_price, input.redemption_value, input.breakage_percent,
            input.payer_name, input.payer_iban, input.payer_bic, input.exit_model,
        )  # fmt: skip
        async with info.context.services.sessions.begin() as session:
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
        async with info.context.services.sessions.begin() as session:
            done = await settlement.terminate_partner(session, principal, parse_id(id), reason)
        services = info.context.services
        services.authenticator.forget_all()
        await announce(services.redis, CREDENTIALS_REVOKED)
        await announce(services.redis, RULES_CHANGED)
        return TerminatePartnerPayload(
            partner=Partner.of(done.partner), settled_on=done.business_date, exit_model=done.model,
            members_notified=done.members_told,
        )  # fmt: skip

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
