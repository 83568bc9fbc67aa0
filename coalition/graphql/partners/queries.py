"""The caller's coalition and its partners."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from coalition.graphql import permissions
from coalition.graphql.common import id_or_none
from coalition.graphql.context import Context
from coalition.graphql.partners.types import Coalition, Partner


@strawberry.type
class CoalitionQueries:
    @strawberry.field(description="The caller's coalition.")
    async def coalition(self, info: Info[Context, None]) -> Coalition:
        return Coalition.of(await info.context.coalition())

    @strawberry.field
    async def partner(self, info: Info[Context, None], id: strawberry.ID) -> Partner | None:
        partner_id = id_or_none(id)
        if partner_id is None:
            return None
        record = await info.context.partners.load(partner_id)
        if record is None or not permissions.may_see_partner(info.context.principal, record):
            return None
        return Partner.of(record)
