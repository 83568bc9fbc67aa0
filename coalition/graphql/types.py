"""GraphQL object types of the public contract (shared/api/core.graphql)."""

from __future__ import annotations

import base64
import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Annotated, cast

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from coalition.graphql.context import Context
from coalition.platform.auth.tokens import CredentialKind
from coalition.platform.coalitions import repository as coalitions
from coalition.platform.coalitions.repository import CoalitionRecord, PartnerRecord
from coalition.platform.errors import DomainError
from coalition.platform.errors import ErrorCode as DomainErrorCode
from coalition.platform.ledger import repository as ledger
from coalition.platform.ledger.repository import TransactionRecord
from coalition.platform.members.repository import MemberRecord
from coalition.platform.money import to_major

if TYPE_CHECKING:
    from coalition.graphql.programme_types import Coupon, MemberTier, StampProgress

_PROGRAMME = "coalition.graphql.programme_types"

MAX_PAGE = 100

ErrorCode = strawberry.enum(DomainErrorCode, name="ErrorCode")


@strawberry.enum
class PartnerStatus(Enum):
    INVITED = "INVITED"
    ACTIVE = "ACTIVE"
    SUSPENDED = "SUSPENDED"
    TERMINATED = "TERMINATED"


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


@strawberry.enum
class PartnerRole(Enum):
    POS = "POS"
    MANAGER = "MANAGER"


@strawberry.type(description="An expected refusal: nothing was changed.")
class MutationError:
    code: ErrorCode  # type: ignore[valid-type]
    message: str
    field: list[str] | None = None

    @classmethod
    def of(cls, error: DomainError) -> MutationError:
        return cls(code=error.code, message=error.message, field=list(error.field) if error.field else None)


@strawberry.type
class Money:
    amount: Decimal = strawberry.field(description='In major units, e.g. "12.34".')
    currency: str = strawberry.field(description="ISO 4217 code.")

    @classmethod
    def of_minor(cls, minor: int, currency: str) -> Money:
        return cls(amount=to_major(minor, currency), currency=currency)


@strawberry.interface
class Node:
    id: strawberry.ID


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


def page_size(first: int | None) -> int:
    if first is None or first < 1 or first > MAX_PAGE:
        raise DomainError(DomainErrorCode.VALIDATION, f"first must be between 1 and {MAX_PAGE}", ("first",))
    return first


def parse_id(value: str, *field: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError as exc:
        raise DomainError(DomainErrorCode.VALIDATION, "not a valid id", field or ("id",)) from exc


@strawberry.type
class Partner(Node):
    id: strawberry.ID
    name: str
    status: PartnerStatus

    @classmethod
    def of(cls, record: PartnerRecord) -> Partner:
        return cls(id=strawberry.ID(str(record.id)), name=record.name, status=PartnerStatus(record.status))

    @strawberry.field(
        description="Points this partner issued that are still in members' wallets: its liability "
        "(the operator and the partner itself)."
    )
    async def outstanding_points(self, info: Info[Context, None]) -> int | None:
        principal = info.context.principal
        partner_id = uuid.UUID(self.id)
        if principal.kind == CredentialKind.MEMBER or (
            principal.kind == CredentialKind.PARTNER and principal.partner_id != partner_id
        ):
            return None
        return await info.context.outstanding.load(partner_id) or 0


@strawberry.type
class PartnerEdge:
    node: Partner
    cursor: str


@strawberry.type
class PartnerConnection:
    edges: list[PartnerEdge]
    page_info: PageInfo


@strawberry.type
class Coalition(Node):
    id: strawberry.ID
    slug: str
    name: str
    points_name: str = strawberry.field(description="What members call the points.")
    currency: str
    point_value: Money = strawberry.field(description="The value of one point at any till.")
    timezone: str
    pending_days: int = strawberry.field(description="Days before earned points can be spent.")
    expiry_months: int | None = strawberry.field(description="Months after which points expire.")

    @classmethod
    def of(cls, record: CoalitionRecord) -> Coalition:
        return cls(
            id=strawberry.ID(str(record.id)),
            slug=record.slug,
            name=record.name,
            points_name=record.points_name,
            currency=record.currency,
            point_value=Money(amount=record.point_value.normalize(), currency=record.currency),
            timezone=record.timezone,
            pending_days=record.pending_days,
            expiry_months=record.expiry_months,
        )

    @strawberry.field(description="The coalition's partner shops, in the order they joined.")
    async def partners(
        self, info: Info[Context, None], first: int | None = 50, after: str | None = None
    ) -> PartnerConnection:
        limit = page_size(first)
        after_id = parse_id(after, "after") if after else None
        async with info.context.services.engine.connect() as connection:
            rows = await coalitions.partner_page(connection, uuid.UUID(self.id), after_id, limit + 1)
        edges = [PartnerEdge(node=Partner.of(p), cursor=str(p.id)) for p in rows[:limit]]
        return PartnerConnection(
            edges=edges,
            page_info=PageInfo(has_next_page=len(rows) > limit, end_cursor=edges[-1].cursor if edges else None),
        )


def _transaction_cursor(record: TransactionRecord) -> str:
    return base64.urlsafe_b64encode(f"{record.created_at.isoformat()}|{record.id}".encode()).decode()


def _parse_transaction_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        created_at, transaction_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        return datetime.fromisoformat(created_at), uuid.UUID(transaction_id)
    except (ValueError, UnicodeDecodeError) as exc:
        raise DomainError(DomainErrorCode.VALIDATION, "not a valid cursor", ("after",)) from exc


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
        if self.partner_id is None:
            return None
        record = await info.context.partners.load(self.partner_id)
        return Partner.of(record) if record else None

    @strawberry.field(description="Coupons this posting issued (a full stamp card, a campaign, a reward bought).")
    async def coupons(self, info: Info[Context, None]) -> list[Annotated[Coupon, strawberry.lazy(_PROGRAMME)]]:
        from coalition.graphql.programme_types import Coupon

        if self.kind not in (TransactionKind.EARN, TransactionKind.REDEEM):
            return []
        found = await info.context.transaction_coupons.load(uuid.UUID(self.id)) or []
        return [Coupon.of(record) for record in found]

    @strawberry.field(description="For a REVERSAL: the transaction it reverses.")
    async def reverses(self, info: Info[Context, None]) -> Transaction | None:
        if self.reverses_id is None:
            return None
        record = await info.context.transactions.load(self.reverses_id)
        if record is None or not may_see_transaction(info.context, record):
            return None
        return Transaction.of(record, (await info.context.coalition()).currency)


def may_see_transaction(context: Context, record: TransactionRecord) -> bool:
    principal = context.principal
    if record.coalition_id != principal.coalition_id:
        return False
    if principal.kind == CredentialKind.PARTNER:
        return record.partner_id == principal.partner_id
    if principal.kind == CredentialKind.MEMBER:
        return record.member_id == principal.member_id
    return True


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
class Wallet:
    member_id: strawberry.Private[uuid.UUID]
    balance: int = strawberry.field(description="Available + pending.")
    available: int = strawberry.field(description="Spendable now.")
    pending: int = strawberry.field(description="Earned, not yet spendable (return window).")

    @strawberry.field(description="Points expiring within 30 days, soonest first.")
    async def expiring_soon(self, info: Info[Context, None]) -> list[ExpiringPoints]:
        found = await info.context.expiring.load(self.member_id) or []
        return [ExpiringPoints(points=p, expires_at=at) for p, at in found]

    @strawberry.field(description="Newest first. A partner sees only its own postings.")
    async def transactions(
        self, info: Info[Context, None], first: int | None = 20, after: str | None = None
    ) -> TransactionConnection:
        limit = page_size(first)
        cursor = _parse_transaction_cursor(after) if after else None
        principal = info.context.principal
        partner_id = principal.partner_id if principal.kind == CredentialKind.PARTNER else None
        async with info.context.services.engine.connect() as connection:
            rows = await ledger.transaction_page(
                connection, member_id=self.member_id, partner_id=partner_id, after=cursor, limit=limit + 1
            )
        currency = (await info.context.coalition()).currency
        edges = [TransactionEdge(node=Transaction.of(r, currency), cursor=_transaction_cursor(r)) for r in rows[:limit]]
        return TransactionConnection(
            edges=edges,
            page_info=PageInfo(has_next_page=len(rows) > limit, end_cursor=edges[-1].cursor if edges else None),
        )


@strawberry.type
class Notice:
    kind: str = strawberry.field(description="POINTS_EXPIRING, ...")
    created_at: datetime
    payload: JSON


@strawberry.type
class Member(Node):
    id: strawberry.ID
    card_number: str = strawberry.field(description="What the till scans.")
    record: strawberry.Private[MemberRecord]

    @classmethod
    def of(cls, record: MemberRecord) -> Member:
        return cls(id=strawberry.ID(str(record.id)), card_number=record.card_number, record=record)

    @strawberry.field(description="The code this member gives friends (the member and the operator see it).")
    def referral_code(self, info: Info[Context, None]) -> str | None:
        principal = info.context.principal
        if principal.kind == CredentialKind.PARTNER:
            return None
        return self.record.referral_code

    @strawberry.field(description="The member's tier; null when the coalition has no tiers.")
    async def tier(self, info: Info[Context, None]) -> Annotated[MemberTier, strawberry.lazy(_PROGRAMME)] | None:
        from coalition.graphql.programme_types import MemberTier
        from coalition.platform.money import to_major
        from coalition.platform.programme.rules import TierBasis, standing

        policy = (await info.context.services.coalition_rules.get(self.record.coalition_id)).tiers
        if not policy.tiers:
            return None
        activity = await info.context.activities.load(self.record.id)
        by_points = policy.basis is TierBasis.POINTS
        qualifying = 0 if activity is None else activity.points if by_points else activity.spend_minor
        now = standing(policy, activity.tier_code if activity else None, qualifying)
        currency = (await info.context.coalition()).currency
        return MemberTier(
            code=now.tier.code if now.tier else None,
            name=now.tier.name if now.tier else None,
            benefits=list(now.tier.benefits) if now.tier else [],
            progress=now.progress,
            points_to_next=now.to_next if by_points and now.next_tier else (0 if by_points else None),
            spend_to_next=None if by_points else to_major(now.to_next, currency),
            next_tier=now.next_tier.name if now.next_tier else None,
            qualifying=qualifying,
        )

    @strawberry.field(description="Stamp cards the member has stamps on (a partner sees its own).")
    async def stamp_cards(
        self, info: Info[Context, None]
    ) -> list[Annotated[StampProgress, strawberry.lazy(_PROGRAMME)]]:
        from coalition.graphql.programme_types import StampCard, StampProgress

        stamps = await info.context.member_stamps.load(self.record.id) or {}
        cards = await info.context.stamp_cards.load(self.record.coalition_id) or []
        principal = info.context.principal
        return [
            StampProgress(card=StampCard.of(card), stamps=stamps.get(card.card.id, 0))
            for card in cards
            if (card.card.id in stamps or principal.kind == CredentialKind.MEMBER)
            and (principal.kind != CredentialKind.PARTNER or card.partner_id == principal.partner_id)
        ]

    @strawberry.field(description="Coupons, newest first (a partner sees those for its shop).")
    async def coupons(
        self, info: Info[Context, None], include_spent: bool = False
    ) -> list[Annotated[Coupon, strawberry.lazy(_PROGRAMME)]]:
        from coalition.graphql.programme_types import Coupon, CouponStatus

        principal = info.context.principal
        found = [Coupon.of(c) for c in await info.context.member_coupons.load(self.record.id) or []]
        if principal.kind == CredentialKind.PARTNER:
            found = [c for c in found if c.record.partner_id == principal.partner_id]
        return [c for c in found if include_spent or c.status is CouponStatus.ISSUED]

    @strawberry.field(description="Notices to the member (points expiring soon, ...), newest first.")
    async def notices(self, info: Info[Context, None]) -> list[Notice]:
        if info.context.principal.kind == CredentialKind.PARTNER:
            return []
        found = await info.context.member_notices.load(self.record.id) or []
        return [Notice(kind=n.kind, created_at=n.created_at, payload=cast(JSON, n.payload)) for n in found]

    @strawberry.field
    async def wallet(self, info: Info[Context, None]) -> Wallet:
        balance, available, pending = await info.context.wallets.load(self.record.id) or (0, 0, 0)
        return Wallet(member_id=self.record.id, balance=balance, available=available, pending=pending)


@strawberry.type
class PostingPayload:
    transaction: Transaction | None = None
    wallet: Wallet | None = None
    errors: list[MutationError] = strawberry.field(default_factory=list)


@strawberry.type
class MemberPayload:
    member: Member | None = None
    errors: list[MutationError] = strawberry.field(default_factory=list)


@strawberry.type
class PartnerPayload:
    partner: Partner | None = None
    api_key: str | None = strawberry.field(default=None, description="Shown once.")
    errors: list[MutationError] = strawberry.field(default_factory=list)


@strawberry.type
class ApiKeyPayload:
    id: strawberry.ID | None = None
    api_key: str | None = strawberry.field(default=None, description="Shown once.")
    errors: list[MutationError] = strawberry.field(default_factory=list)


@strawberry.type
class RevokePayload:
    revoked: bool = False
    errors: list[MutationError] = strawberry.field(default_factory=list)
