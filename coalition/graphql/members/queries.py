"""Looking members up: tills and the operator by id or card, a member themself."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from coalition.graphql import permissions
from coalition.graphql.common import id_or_none
from coalition.graphql.context import Context
from coalition.graphql.members.types import Member
from coalition.platform.errors import validation
from coalition.platform.members.reads import MemberRecord


@strawberry.type
class MemberQueries:
    @strawberry.field(description="Look a member up by id or card (partners and the operator).")
    async def member(
        self,
        info: Info[Context, None],
        id: strawberry.ID | None = None,
        card_number: str | None = None,
    ) -> Member | None:
        principal = info.context.principal
        if (id is None) == (card_number is None):
            raise validation("give exactly one of id and cardNumber")
        record: MemberRecord | None
        if id is not None:
            member_id = id_or_none(id)
            record = await info.context.members.load(member_id) if member_id else None
        else:
            record = await info.context.members_by_card.load(card_number or "")
        if record is None or not permissions.may_see_member(principal, record):
            return None
        return Member.of(record)

    @strawberry.field(description="The calling member (member token).")
    async def me(self, info: Info[Context, None]) -> Member | None:
        principal = info.context.principal
        if principal.member_id is None:
            return None
        record = await info.context.members.load(principal.member_id)
        return Member.of(record) if record else None
