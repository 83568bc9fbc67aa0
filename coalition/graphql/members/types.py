"""GraphQL types of members: the member, their notices, what enrolment answers."""

from __future__ import annotations

from datetime import datetime
from typing import cast

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from coalition.graphql import permissions
from coalition.graphql.common import MutationError, Node
from coalition.graphql.context import Context
from coalition.graphql.ledger.types import Wallet
from coalition.graphql.partners.types import Coupon, CouponStatus, StampCard, StampProgress
from coalition.graphql.privacy.types import MemberProfile
from coalition.graphql.programme.types import MemberTier
from coalition.platform.members import privacy
from coalition.platform.members import reads as member_reads
from coalition.platform.members.reads import MemberRecord
from coalition.platform.programme.standing import member_standing


@strawberry.type
class Notice:
    kind: str = strawberry.field(description="POINTS_EXPIRING, ...")
    created_at: datetime
    payload: JSON


@strawberry.type
class Passkey:
    id: strawberry.ID
    name: str
    created_at: datetime
    last_used_at: datetime | None


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
        if not permissions.may_see_member_privately(info.context.principal):
            return None
        return self.record.referral_code

    @strawberry.field(description="The member's tier; null when the coalition has no tiers.")
    async def tier(self, info: Info[Context, None]) -> MemberTier | None:
        policy = (await info.context.services.coalition_rules.get(self.record.coalition_id)).tiers
        if not policy.tiers:
            return None  # no tiers to stand in: spare the activity query
        activity = await info.context.activities.load(self.record.id)
        standing = member_standing(policy, activity, (await info.context.coalition()).currency)
        return MemberTier.of(standing) if standing else None

    @strawberry.field(description="Stamp cards the member has stamps on (a partner sees its own).")
    async def stamp_cards(self, info: Info[Context, None]) -> list[StampProgress]:
        stamps = await info.context.member_stamps.load(self.record.id) or {}
        cards = await info.context.stamp_cards.load(self.record.coalition_id) or []
        principal = info.context.principal
        return [
            StampProgress(card=StampCard.of(card), stamps=stamps.get(card.card.id, 0))
            for card in cards
            if permissions.may_see_stamp_progress(principal, card, has_stamps=card.card.id in stamps)
        ]

    @strawberry.field(description="Coupons, newest first (a partner sees those for its shop).")
    async def coupons(self, info: Info[Context, None], include_spent: bool = False) -> list[Coupon]:
        principal = info.context.principal
        found = [
            Coupon.of(c)
            for c in await info.context.member_coupons.load(self.record.id) or []
            if permissions.may_see_coupon(principal, c)
        ]
        return [c for c in found if include_spent or c.status is CouponStatus.ISSUED]

    @strawberry.field(description="The passkeys the member signs in to the wallet with (the member and the operator).")
    async def passkeys(self, info: Info[Context, None]) -> list[Passkey]:
        if not permissions.may_see_member_privately(info.context.principal):
            return []
        async with info.context.services.reads.connect() as connection:
            found = await member_reads.passkeys_of(connection, self.record.id)
        return [Passkey(id=strawberry.ID(str(p.id)), name=p.name, created_at=p.created_at,
                        last_used_at=p.last_used_at) for p in found]  # fmt: skip

    @strawberry.field(description="Notices to the member (points expiring soon, ...), newest first.")
    async def notices(self, info: Info[Context, None]) -> list[Notice]:
        if not permissions.may_see_member_privately(info.context.principal):
            return []
        found = await info.context.member_notices.load(self.record.id) or []
        return [Notice(kind=n.kind, created_at=n.created_at, payload=cast(JSON, n.payload)) for n in found]

    @strawberry.field(
        description="E-mail, phone, birth date and choices: the member's own and the operator's support's "
        "(whose every read is audited); null for others."
    )
    async def profile(self, info: Info[Context, None]) -> MemberProfile | None:
        principal = info.context.principal
        if not permissions.may_see_profile(principal, self.record):
            return None
        preferences = await info.context.loader("member_preferences", privacy.profiles).load(self.record.id)
        if permissions.is_staff_read(principal, self.record):
            async with info.context.unit_of_work() as session:
                await privacy.record_personal_read(session, principal, self.record.id, "profile")
        return MemberProfile.of(privacy.Profile(self.record, preferences or privacy.NO_PREFERENCES))

    @strawberry.field
    async def wallet(self, info: Info[Context, None]) -> Wallet:
        balance, available, pending = await info.context.wallets.load(self.record.id) or (0, 0, 0)
        return Wallet(member_id=self.record.id, balance=balance, available=available, pending=pending)


@strawberry.type
class MemberPayload:
    member: Member | None = None
    errors: list[MutationError] = strawberry.field(default_factory=list)
