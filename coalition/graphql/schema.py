"""The schema, composed from each domain's Query and Mutation classes."""

from __future__ import annotations

from decimal import Decimal

import strawberry
from graphql import GraphQLError
from strawberry.exceptions import StrawberryInputCoercionError
from strawberry.extensions import (
    MaskErrors,
    MaxTokensLimiter,
    ParserCache,
)
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from coalition.graphql.common import PlainDecimal
from coalition.graphql.insights.mutations import InsightMutations
from coalition.graphql.insights.queries import InsightQueries
from coalition.graphql.ledger.mutations import LedgerMutations
from coalition.graphql.ledger.queries import LedgerQueries
from coalition.graphql.ledger.types import Transaction
from coalition.graphql.members.mutations import MemberMutations
from coalition.graphql.members.queries import MemberQueries
from coalition.graphql.members.support import MemberSupportMutations
from coalition.graphql.members.types import Member
from coalition.graphql.partners.mutations import PartnerMutations
from coalition.graphql.partners.queries import CoalitionQueries
from coalition.graphql.partners.types import Coalition, Partner
from coalition.graphql.privacy.mutations import PrivacyMutations
from coalition.graphql.privacy.queries import PrivacyQueries
from coalition.graphql.programme.mutations import ProgrammeMutations
from coalition.graphql.programme.queries import ProgrammeQueries
from coalition.graphql.settlement.mutations import SettlementMutations
from coalition.graphql.settlement.queries import PayoutQueries, SettlementQueries
from coalition.graphql.settlement.types import SettlementRun
from coalition.graphql.staff.mutations import StaffMutations
from coalition.graphql.staff.queries import StaffQueries
from coalition.graphql.validation import CachedValidation, ValidationRules
from coalition.platform.errors import DomainError
from coalition.platform.runtime.logging import log_graphql_errors

Query = merge_types(
    "Query",
    (
        CoalitionQueries,
        MemberQueries,
        LedgerQueries,
        ProgrammeQueries,
        SettlementQueries,
        PayoutQueries,
        PrivacyQueries,
        InsightQueries,
        StaffQueries,
    ),
)
Mutation = merge_types(
    "Mutation",
    (
        PartnerMutations,
        MemberMutations,
        MemberSupportMutations,
        LedgerMutations,
        ProgrammeMutations,
        SettlementMutations,
        PrivacyMutations,
        InsightMutations,
        StaffMutations,
    ),
)


def _is_unexpected(error: GraphQLError) -> bool:
    """Refusals and malformed queries are shown; bugs and outages are masked."""
    original = error.original_error
    # A variable's coercion error wraps the scalar's own refusal in another GraphQLError.
    while isinstance(original, GraphQLError) and original.original_error is not None:
        original = original.original_error
    return original is not None and not isinstance(original, DomainError | StrawberryInputCoercionError | GraphQLError)


class _Schema(strawberry.Schema):
    # Strawberry's own logs every error at error level, refusals included.
    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        log_graphql_errors(errors, _is_unexpected)


def create_schema(
    *,
    max_depth: int = 12,
    max_aliases: int = 30,
    max_tokens: int = 5000,
    max_fields: int = 300,
    max_cost: int = 1000,
) -> strawberry.Schema:
    rules = ValidationRules(max_depth=max_depth, max_aliases=max_aliases, max_fields=max_fields, max_cost=max_cost)
    return _Schema(
        query=Query,
        mutation=Mutation,
        types=[Coalition, Member, Partner, Transaction, SettlementRun],
        scalar_overrides={Decimal: PlainDecimal},
        extensions=[
            lambda: MaxTokensLimiter(max_token_count=max_tokens),
            lambda: ParserCache(maxsize=256),
            lambda: CachedValidation(rules),
            lambda: MaskErrors(should_mask_error=_is_unexpected),
        ],
    )
