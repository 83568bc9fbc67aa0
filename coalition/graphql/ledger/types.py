"""GraphQL types of the ledger: transactions, wallets and what a posting answers."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import Enum

import strawberry
from strawberry.types import Info

from coalition.graphql import permissions
from coalition.graphql.common import Money, MutationError, Node, PageInfo, keyset_cursor, page_size, parse_keyset_cursor
from coalition.graphql.context import Context
from coalition.graphql.partners.types import Coupon, Partner, load_partner
from coalition.platform.ledger import reads as ledger_reads
from coalition.platform.ledger.reads import Posting, TransactionRecord


@strawberry.enum
class TransactionKind(Enum):
    EARN = "EARN"
    REDEEM = "REDEEM"
    REVERSAL = "REVERSAL"
    EXPIRE = "EXPIRE"
    ADJUST = "ADJUST"
    BONUS = "BONUS"
    TRANSFER = "TRANSFER"
    DONATE = "DONATE"


@strawberry.type
class Transaction(Node):
    id: strawberry.ID
    kind: TransactionKind
    points: int = strawberry.field(description="Signed, from the member's point of view.")
    business_date: date
    created_at: datetime
    explanation: list[str] = strawberry.field(description="Which rules produced the points.")
    purchase: Money | None = strawberry.field(description="For EARN: the purchase amount.")
    partner_id: strawberry.Private[uuid.UUID | None]
    reverses_id: strawberry.Private[uuid.UUID | None]

    @classmethod
    def of(cls, record: TransactionRecord, currency: str) -> Transaction:
        return cls(
            id=strawberry.ID(str(record.id)),
            kind=TransactionKind(record.kind),
            points=record.points,
            business_date=record.business_date,
            created_at=record.created_at,
            explanation=list(record.explanation),
            purchase=(Money.of_minor(record.purchase_minor, currency) if record.purchase_minor is not None else None),
            partner_id=record.partner_id,
            reverses_id=record.reverses_id,
        )

    @strawberry.field(description="Where it happened; null for coalition-side postings.")
    async def partner(self, info: Info[Context, None]) -> Partner | None:
        return await load_partner(info, self.partner_id)

    @strawberry.field(description="Coupons this posting issued (a full stamp card, a campaign, a reward bought).")
    async def coupons(self, info: Info[Context, None]) -> list[Coupon]:
        if self.kind not in (TransactionKind.EARN, TransactionKind.REDEEM):
            return []
        found = await info.context.transaction_coupons.load(uuid.UUID(self.id)) or []
        return [Coupon.of(record) for record in found]

    @strawberry.field(description="For a REVERSAL: the transaction it reverses.")
    async def reverses(self, info: Info[Context, None]) -> Transaction | None:
        if self.reverses_id is None:
            return None
        record = await info.context.transactions.load(self.reverses_id)
        if record is None or not permissions.may_see_transaction(info.context.principal, record):
            return None
        return Transaction.of(record, (await info.context.coalition()).currency)


@strawberry.type
class TransactionEdge:
    node: Transaction
    cursor: str


@strawberry.type
class TransactionConnection:
    edges: list[TransactionEdge]
    page_info: PageInfo


@strawberry.type
class ExpiringPoints:
    points: int
    expires_at: datetime


@strawberry.type
class PendingPoints:
    points: int
    available_at: datetime = strawberry.field(description="When these points can be spent.")


@strawberry.type
class Wallet:
    member_id: strawberry.Private[uuid.UUID]
    balance: int = strawberry.field(description="Available + pending.")
    available: int = strawberry.field(description="Spendable now.")
    pending: int = strawberry.field(description="Earned, not yet spendable (return window).")

    @strawberry.field(description="Points expiring within 30 days, soonest first.")
    async def expiring_soon(self, info: Info[Context, None]) -> list[ExpiringPoints]:
        found = await info.context.expiring.load(self.member_id) or []
        return [ExpiringPoints(points=p, expires_at=at) for p, at in found]

    @strawberry.field(description="Points still in their return window, by when they become spendable, soonest first.")
    async def pending_points(self, info: Info[Context, None]) -> list[PendingPoints]:
        found = await info.context.pending_lots.load(self.member_id) or []
        return [PendingPoints(points=p, available_at=at) for p, at in found]

    @strawberry.field(description="Newest first. A partner sees only its own postings.")
    async def transactions(
        self, info: Info[Context, None], first: int | None = 20, after: str | None = None
    ) -> TransactionConnection:
        limit = page_size(first)
        cursor = parse_keyset_cursor(after) if after else None
        async with info.context.services.engine.connect() as connection:
            rows = await ledger_reads.member_transactions(
                connection,
                self.member_id,
                partner_id=permissions.shop_view(info.context.principal),
                after=cursor,
                limit=limit + 1,
            )
        currency = (await info.context.coalition()).currency
        edges = [
            TransactionEdge(node=Transaction.of(r, currency), cursor=keyset_cursor(r.created_at, r.id))
            for r in rows[:limit]
        ]
        return TransactionConnection(
            edges=edges, page_info=PageInfo.after([e.cursor for e in edges], more=len(rows) > limit)
        )


@strawberry.type
class PostingPayload:
    transaction: Transaction | None = None
    wallet: Wallet | None = None
    errors: list[MutationError] = strawberry.field(default_factory=list)

    @classmethod
    def of(cls, posting: Posting, currency: str) -> PostingPayload:
        """What a posting (earn, redemption, reversal, gift) answers: the
        transaction and the wallet after it, from the posting itself."""
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
        return cls(transaction=transaction, wallet=wallet)
