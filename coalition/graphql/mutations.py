from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import strawberry
from strawberry.types import Info

from coalition.graphql.context import Context
from coalition.graphql.permissions import (
    refusals_as,
    require_operator,
    require_partner,
    require_partner_or_operator,
)
from coalition.graphql.types import (
    ApiKeyPayload,
    Member,
    MemberPayload,
    Money,
    Partner,
    PartnerPayload,
    PartnerRole,
    PostingPayload,
    RevokePayload,
    Transaction,
    TransactionKind,
    Wallet,
    parse_id,
)
from coalition.partners import lifecycle as partners
from coalition.partners.earning.till import BasketLine, earn_points
from coalition.platform.auth import service as auth
from coalition.platform.auth.tokens import CredentialKind
from coalition.platform.auth.tokens import PartnerRole as Role
from coalition.platform.errors import DomainError, ErrorCode
from coalition.platform.ledger.repository import Posting
from coalition.platform.members import service as members
from coalition.platform.runtime.broadcasts import announce


@strawberry.input
class PurchaseLineInput:
    sku: str
    category: str | None = None
    quantity: int
    unit_price: Decimal


@strawberry.input
class EarnPointsInput:
    idempotency_key: str
    card_number: str
    amount: Decimal = strawberry.field(description="Purchase total in the coalition currency.")
    receipt_ref: str | None = None
    lines: list[PurchaseLineInput] | None = None
    occurred_at: datetime | None = None


@strawberry.input
class RedeemPointsInput:
    idempotency_key: str
    card_number: str
    points: int
    receipt_ref: str | None = None


@strawberry.input
class ReverseTransactionInput:
    idempotency_key: str
    transaction_id: strawberry.ID
    points: int | None = strawberry.field(default=None, description="Default: all that is left.")
    reason: str | None = None


@strawberry.input
class EnrollMemberInput:
    idempotency_key: str
    card_number: str | None = strawberry.field(default=None, description="Default: generated.")
    email: str | None = None
    phone: str | None = None
    birth_date: date | None = None
    referral_code: str | None = strawberry.field(default=None, description="The referring member's code.")
    invite_code: str | None = strawberry.field(default=None, description="Needed when the coalition is invite-only.")


@strawberry.input
class CreatePartnerInput:
    name: str
    earn_rate_per_unit: Decimal = strawberry.field(description="Points per 1.00 of currency spent.")
    iban: str | None = None


async def posting_payload(context: Context, posting: Posting) -> PostingPayload:
    currency = (await context.coalition()).currency
    assert posting.transaction_id is not None
    assert posting.member_id is not None
    assert posting.kind is not None
    assert posting.points is not None
    assert posting.business_date is not None
    assert posting.created_at is not None
    transaction = Transaction(
        id=strawberry.ID(str(posting.transaction_id)),
        kind=TransactionKind(posting.kind),
        points=posting.points,
        business_date=posting.business_date,
        created_at=posting.created_at,
        explanation=list(posting.explanation or []),
        purchase=(Money.of_minor(posting.purchase_minor, currency) if posting.purchase_minor is not None else None),
        partner_id=posting.partner_id,
        reverses_id=posting.reverses_id,
    )
    wallet = Wallet(
        member_id=posting.member_id,
        balance=posting.balance or 0,
        available=posting.available or 0,
        pending=posting.pending or 0,
    )
    return PostingPayload(transaction=transaction, wallet=wallet)


@strawberry.type
class PartnerMutations:
    @strawberry.mutation(description="Operator: a new partner (INVITED) and its MANAGER key.")
    @refusals_as(PartnerPayload)
    async def create_partner(self, info: Info[Context, None], input: CreatePartnerInput) -> PartnerPayload:
        principal = require_operator(info.context, "create partners")
        async with info.context.services.sessions.begin() as session:
            partner, api_key = await partners.create_partner(
                session, principal, name=input.name, earn_rate_per_unit=input.earn_rate_per_unit,
                iban=input.iban,
            )  # fmt: skip
        return PartnerPayload(partner=Partner.of(partner), api_key=api_key)

    @strawberry.mutation(description="Operator: the partner's tills may post.")
    @refusals_as(PartnerPayload)
    async def activate_partner(self, info: Info[Context, None], id: strawberry.ID) -> PartnerPayload:
        principal = require_operator(info.context, "activate partners")
        async with info.context.services.sessions.begin() as session:
            partner = await partners.set_status(session, principal, parse_id(id), "ACTIVE")
        return PartnerPayload(partner=Partner.of(partner))

    @strawberry.mutation(description="Operator: the partner's tills stop posting.")
    @refusals_as(PartnerPayload)
    async def suspend_partner(self, info: Info[Context, None], id: strawberry.ID, reason: str) -> PartnerPayload:
        principal = require_operator(info.context, "suspend partners")
        async with info.context.services.sessions.begin() as session:
            partner = await partners.set_status(session, principal, parse_id(id), "SUSPENDED", reason)
        return PartnerPayload(partner=Partner.of(partner))

    @strawberry.mutation(description="Operator, or a partner's MANAGER for its own shop: a new API key (shown once).")
    @refusals_as(ApiKeyPayload)
    async def create_api_key(
        self,
        info: Info[Context, None],
        role: PartnerRole,
        partner_id: strawberry.ID | None = None,
        label: str | None = None,
    ) -> ApiKeyPayload:
        principal = info.context.principal
        if principal.kind == CredentialKind.PARTNER:
            require_partner(info.context, "create API keys", Role.MANAGER)
            target = principal.partner_id
            if partner_id is not None and parse_id(partner_id, "partnerId") != target:
                raise DomainError(ErrorCode.NOT_FOUND, "no such partner", ("partnerId",))
        else:
            require_operator(info.context, "create API keys")
            if partner_id is None:
                raise DomainError(ErrorCode.VALIDATION, "partnerId is required", ("partnerId",))
            target = parse_id(partner_id, "partnerId")
        assert target is not None
        async with info.context.services.sessions.begin() as session:
            credential_id, key = await partners.issue_api_key(session, principal, target, Role(role.value), label)
        return ApiKeyPayload(id=strawberry.ID(str(credential_id)), api_key=key)

    @strawberry.mutation(description="Operator: revoke any credential of the coalition.")
    @refusals_as(RevokePayload)
    async def revoke_credential(self, info: Info[Context, None], id: strawberry.ID) -> RevokePayload:
        principal = require_operator(info.context, "revoke credentials")
        credential_id = parse_id(id)
        async with info.context.services.sessions.begin() as session:
            if not await auth.revoke(session, principal, credential_id):
                raise DomainError(ErrorCode.NOT_FOUND, "no such active credential", ("id",))
        info.context.services.authenticator.forget_all()
        await announce(info.context.services.redis)
        return RevokePayload(revoked=True)


@strawberry.type
class MemberMutations:
    @strawberry.mutation(description="Enrol a member at the till (or by the operator).")
    @refusals_as(MemberPayload)
    async def enroll_member(self, info: Info[Context, None], input: EnrollMemberInput) -> MemberPayload:
        principal = require_partner_or_operator(info.context, "enrol members")
        if input.referral_code is not None and len(input.referral_code) > 64:
            raise DomainError(ErrorCode.VALIDATION, "referralCode is too long", ("referralCode",))
        async with info.context.services.sessions.begin() as session:
            member = await members.enrol(
                session,
                coalition_id=principal.coalition_id,
                scope_id=principal.partner_id or principal.coalition_id,
                partner_id=principal.partner_id,
                request=members.Enrolment(
                    idempotency_key=input.idempotency_key,
                    card_number=input.card_number,
                    email=input.email,
                    phone=input.phone,
                    birth_date=input.birth_date,
                    invite_code=input.invite_code,
                    referral_code=input.referral_code,
                ),
            )
        return MemberPayload(member=Member.of(member))


@strawberry.type
class LedgerMutations:
    @strawberry.mutation(description="Till: points for a purchase.")
    @refusals_as(PostingPayload)
    async def earn_points(self, info: Info[Context, None], input: EarnPointsInput) -> PostingPayload:
        principal = require_partner(info.context, "post earnings")
        assert principal.partner_id is not None
        posting = await earn_points(
            info.context.services.ledger,
            info.context.services.till_setups,
            principal.partner_id,
            idempotency_key=input.idempotency_key,
            card_number=input.card_number,
            amount=input.amount,
            receipt_ref=input.receipt_ref,
            lines=(
                [BasketLine(line.sku, line.category, line.quantity, line.unit_price) for line in input.lines]
                if input.lines is not None
                else None
            ),
            occurred_at=input.occurred_at,
        )
        return await posting_payload(info.context, posting)

    @strawberry.mutation(description="Till: spend points, soonest-expiring first.")
    @refusals_as(PostingPayload)
    async def redeem_points(self, info: Info[Context, None], input: RedeemPointsInput) -> PostingPayload:
        principal = require_partner(info.context, "redeem points")
        assert principal.partner_id is not None
        posting = await info.context.services.ledger.redeem(
            principal.partner_id,
            idempotency_key=input.idempotency_key,
            card_number=input.card_number,
            points=input.points,
            receipt_ref=input.receipt_ref,
        )
        return await posting_payload(info.context, posting)

    @strawberry.mutation(description="Reverse an earn or a redemption, whole or in part.")
    @refusals_as(PostingPayload)
    async def reverse_transaction(self, info: Info[Context, None], input: ReverseTransactionInput) -> PostingPayload:
        principal = require_partner_or_operator(info.context, "reverse transactions")
        posting = await info.context.services.ledger.reverse(
            principal.coalition_id,
            principal.partner_id,
            idempotency_key=input.idempotency_key,
            transaction_id=parse_id(input.transaction_id, "transactionId"),
            points=input.points,
            reason=input.reason,
        )
        return await posting_payload(info.context, posting)
