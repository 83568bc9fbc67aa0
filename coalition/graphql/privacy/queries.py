"""The coalition's retention of personal data (operator)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from coalition.graphql.context import Context
from coalition.graphql.permissions import is_operator
from coalition.platform.members import privacy


@strawberry.type
class PrivacyQueries:
    @strawberry.field(description="Operator: months basket lines and receipt references are kept (null: no limit).")
    async def personal_data_retention(self, info: Info[Context, None]) -> int | None:
        if not is_operator(info.context.principal):
            return None
        async with info.context.services.reads.connect() as connection:
            return await privacy.retention(connection, info.context.principal.coalition_id)
