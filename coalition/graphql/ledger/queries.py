"""A transaction by id, for whoever may see it."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from coalition.graphql import permissions
from coalition.graphql.common import id_or_none
from coalition.graphql.context import Context
from coalition.graphql.ledger.types import Transaction


@strawberry.type
class LedgerQueries:
    @strawberry.field
    async def transaction(self, info: Info[Context, None], id: strawberry.ID) -> Transaction | None:
        transaction_id = id_or_none(id)
        if transaction_id is None:
            return None
        record = await info.context.transactions.load(transaction_id)
        if record is None or not permissions.may_see_transaction(info.context.principal, record):
            return None
        return Transaction.of(record, (await info.context.coalition()).currency)
