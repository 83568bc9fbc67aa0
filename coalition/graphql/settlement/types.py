"""GraphQL types of settlement: runs with their lines and obligations,
statements and files to download, payouts, and what its mutations answer."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import Enum

import strawberry
from strawberry.types import Info

from coalition.graphql import permissions
from coalition.graphql.common import Money, MutationError, Node, PageInfo
from coalition.graphql.context import Context
from coalition.graphql.partners.types import Partner, load_partner
from coalition.settlement import downloads
from coalition.settlement.reads import RunRecord
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
        return await load_partner(info, self.partner_id)


@strawberry.type
class Obligation:
    points: int
    amount: Money
    reason: str = strawberry.field(description="CROSS_REDEMPTION, ISSUANCE, REDEMPTION, FEE, BREAKAGE or DONATION.")
    debtor_id: strawberry.Private[uuid.UUID | None]
    creditor_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field(name="from", description="Who owes; null: the coalition.")
    async def from_(self, info: Info[Context, None]) -> Partner | None:
        return await load_partner(info, self.debtor_id)

    @strawberry.field(description="Who is owed; null: the coalition.")
    async def to(self, info: Info[Context, None]) -> Partner | None:
        return await load_partner(info, self.creditor_id)


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
        viewer = permissions.shop_view(info.context.principal)
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
        target = permissions.statement_partner(principal, partner_id)
        if target is None:
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
        if not permissions.is_operator(principal):
            return None
        url, expires = await downloads.issue(
            info.context.services.redis,
            {"kind": "matrix", "coalition": str(principal.coalition_id), "day": self.business_date.isoformat()},
        )
        return Download(url=url, expires_at=expires)

    @strawberry.field(description="Gross, issuer -> redeemer and fees -> coalition (a partner: those it is in).")
    async def obligations(self, info: Info[Context, None]) -> list[Obligation]:
        viewer = permissions.shop_view(info.context.principal)
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
        return await load_partner(info, self.partner_id)


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
class PartnerContract:
    """The fees a partner pays the coalition (zero where none are set)."""

    fee_per_point_issued: Decimal
    fee_percent_of_redemption: Decimal
    partner_id: strawberry.Private[uuid.UUID]

    @strawberry.field
    async def partner(self, info: Info[Context, None]) -> Partner | None:
        return await load_partner(info, self.partner_id)


@strawberry.type(description="The coalition's account its SEPA payout files pay from.")
class PayingAccount:
    name: str | None = strawberry.field(description="The account holder; null until the account is set.")
    iban: str | None = strawberry.field(description="As stored: compact, upper case.")
    bic: str | None


@strawberry.type
class PayingAccountPayload:
    account: PayingAccount | None = None
    errors: list[MutationError] = strawberry.field(default_factory=list)


@strawberry.type
class SettlementPolicyPayload:
    policy: SettlementPolicy | None = None
    errors: list[MutationError] = strawberry.field(default_factory=list)


@strawberry.type
class ContractPayload:
    saved: bool = False
    errors: list[MutationError] = strawberry.field(default_factory=list)


@strawberry.type
class TerminatePartnerPayload:
    partner: Partner | None = None
    settled_on: date | None = strawberry.field(
        default=None, description="The business day whose run settles its outstanding points."
    )
    exit_model: ExitModel | None = None  # type: ignore[valid-type]
    members_notified: int = 0
    errors: list[MutationError] = strawberry.field(default_factory=list)
