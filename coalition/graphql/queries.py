from __future__ import annotations

import strawberry
from strawberry.types import Info

from coalition.graphql.context import Context
from coalition.graphql.types import (
    Coalition,
    Member,
    Partner,
    Transaction,
    may_see_transaction,
    parse_id,
)
from coalition.platform.auth.tokens import CredentialKind
from coalition.platform.errors import DomainError, validation
from coalition.platform.members.repository import MemberRecord


def _uuid_or_none(value: str) -> object:
    try:
        return parse_id(value)
    except DomainError:
        return None


@strawberry.type
class CoalitionQueries:
    @strawberry.field(description="The caller's coalition.")
    async def coalition(self, info: Info[Context, None]) -> Coalition:
        return Coalition.of(await info.context.coalition())

    @strawberry.field
    async def partner(self, info: Info[Context, None], id: strawberry.ID) -> Partner | None:
        partner_id = _uuid_or_none(id)
        if partner_id is None:
            return None
        record = await info.context.partners.load(partner_id)  # type: ignore[arg-type]
        if record is None or record.coalition_id != info.context.principal.coalition_id:
            return None
        return Partner.of(record)


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
            member_id = _uuid_or_none(id)
            record = await info.context.members.load(member_id) if member_id else None  # type: ignore[arg-type]
        else:
            record = await info.context.members_by_card.load(card_number or "")
        if record is None or record.coalition_id != principal.coalition_id:
            return None
        if principal.kind == CredentialKind.MEMBER and record.id != principal.member_id:
            return None
        return Member.of(record)

    @strawberry.field(description="The calling member (member token).")
    async def me(self, info: Info[Context, None]) -> Member | None:
        principal = info.context.principal
        if principal.member_id is None:
            return None
        record = await info.context.members.load(principal.member_id)
        return Member.of(record) if record else None


@strawberry.type
class LedgerQueries:
    @strawberry.field
    async def transaction(self, info: Info[Context, None], id: strawberry.ID) -> Transaction | None:
        transaction_id = _uuid_or_none(id)
        if transaction_id is None:
            return None
        record = await info.context.transactions.load(transaction_id)  # type: ignore[arg-type]
        if record is None or not may_see_transaction(info.context, record):
            return None
        return Transaction.of(record, (await info.context.coalition()).currency)
