"""The operator's member support: block, unblock, adjust points with a reason."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from coalition.graphql.common import parse_id
from coalition.graphql.context import Context
from coalition.graphql.ledger.types import PostingPayload
from coalition.graphql.members.inputs import AdjustPointsInput
from coalition.graphql.members.types import Member, MemberPayload
from coalition.graphql.permissions import refusals_as, require_operator
from coalition.platform.members import sessions as member_sessions
from coalition.platform.members import support


@strawberry.type
class MemberSupportMutations:
    @strawberry.mutation(description="Operator: block a member; tills refuse their card (MEMBER_BLOCKED).")
    @refusals_as(MemberPayload)
    async def block_member(self, info: Info[Context, None], id: strawberry.ID, reason: str) -> MemberPayload:
        principal = require_operator(info.context, "block members")
        async with info.context.unit_of_work() as session:
            member = await support.set_blocked(session, principal, parse_id(id), blocked=True, reason=reason)
        # Signed out of the wallet everywhere, once the block is committed.
        await member_sessions.close_all_for(info.context.services.redis, member.id)
        return MemberPayload(member=Member.of(member))

    @strawberry.mutation(description="Operator: unblock a member.")
    @refusals_as(MemberPayload)
    async def unblock_member(
        self, info: Info[Context, None], id: strawberry.ID, reason: str | None = None
    ) -> MemberPayload:
        principal = require_operator(info.context, "unblock members")
        async with info.context.unit_of_work() as session:
            member = await support.set_blocked(session, principal, parse_id(id), blocked=False, reason=reason)
        return MemberPayload(member=Member.of(member))

    @strawberry.mutation(
        description="Operator: add or take away a member's points with a reason, through the coalition's "
        "adjustments account (audited). Safe to repeat with the same key."
    )
    @refusals_as(PostingPayload)
    async def adjust_points(self, info: Info[Context, None], input: AdjustPointsInput) -> PostingPayload:
        principal = require_operator(info.context, "adjust points")
        async with info.context.unit_of_work() as session:
            posting = await support.adjust(
                session, principal, parse_id(input.member_id, "memberId"), idempotency_key=input.idempotency_key,
                points=input.points, reason=input.reason,
            )  # fmt: skip
        return PostingPayload.of(posting, (await info.context.coalition()).currency)
