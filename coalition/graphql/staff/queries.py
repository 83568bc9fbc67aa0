"""Who works in the coalition and its shops, and a shop's API keys."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from coalition.graphql import permissions
from coalition.graphql.context import Context
from coalition.graphql.staff.types import ApiKey, StaffPerson
from coalition.platform.auth import service as auth
from coalition.platform.staff import service as staff


@strawberry.type
class StaffQueries:
    @strawberry.field(
        description="Staff people in place: the operator sees everyone (or one shop's, with partnerId); a "
        "partner's MANAGER key its own shop's, with only their roles there."
    )
    async def staff_people(
        self, info: Info[Context, None], partner_id: strawberry.ID | None = None
    ) -> list[StaffPerson]:
        shop = permissions.staff_list_scope(info.context, partner_id)
        async with info.context.services.reads.connect() as connection:
            found = await staff.people(connection, info.context.principal.coalition_id, shop)
        return [StaffPerson.of(listing) for listing in found]

    @strawberry.field(description="A partner's API keys in force (never their tokens): the operator, or its MANAGER.")
    async def api_keys(self, info: Info[Context, None], partner_id: strawberry.ID | None = None) -> list[ApiKey]:
        shop = permissions.managed_partner(info.context, "list API keys", partner_id)
        async with info.context.services.reads.connect() as connection:
            keys = await auth.partner_keys(connection, info.context.principal.coalition_id, shop)
        return [ApiKey.of(key) for key in keys]
