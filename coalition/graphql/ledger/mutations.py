"""Postings at the till (earn, redeem) and reversals (a till or the operator)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from coalition.graphql.common import parse_id
from coalition.graphql.context import Context
from coalition.graphql.ledger.inputs import EarnPointsInput, RedeemPointsInput, ReverseTransactionInput
from coalition.graphql.ledger.types import PostingPayload
from coalition.graphql.permissions import refusals_as, require_partner, require_partner_or_operator
from coalition.partners.earning.till import BasketLine, earn_points


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
        return PostingPayload.of(posting, (await info.context.coalition()).currency)

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
        return PostingPayload.of(posting, (await info.context.coalition()).currency)

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
        return PostingPayload.of(posting, (await info.context.coalition()).currency)
