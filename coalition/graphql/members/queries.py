"""Looking members up: tills and the operator by id or card, a member themself."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from coalition.graphql import permissions
from coalition.graphql.common import id_or_none
from coalition.graphql.context import Context
from coalition.graphql.members.types import Member
from coalition.platform.errors import validation
from coalition.platform.members import reads as member_reads
from coalition.platform.members.reads import MemberRecord


@strawberry.type
class MemberQueries:
    @strawberry.field(
        description="Look a member up by id or card (partners and the operator), or by e-mail or phone "
        "(the operator; a MANAGER: members its shop enrolled or served)."
    )
    async def member(
        self,
        info: Info[Context, None],
        id: strawberry.ID | None = None,
        card_number: str | None = None,
        email: str | None = None,
        phone: str | None = None,
    ) -> Member | None:
        principal = info.context.principal
        if sum(given is not None for given in (id, card_number, email, phone)) != 1:
            raise validation("give exactly one of id, cardNumber, email and phone")
        record: MemberRecord | None
        if id is not None:
            member_id = id_or_none(id)
            record = await info.context.members.load(member_id) if member_id else None
        elif card_number is not None:
            record = await info.context.members_by_card.load(card_number)
        else:
            if not permissions.may_find_member_by_contact(principal):
                return None
            async with info.context.services.reads.connect() as connection:
                record = await member_reads.member_by_contact(
                    connection, principal.coalition_id, email=email, phone=phone,
                    known_to_partner=permissions.shop_view(principal),
                )  # fmt: skip
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
