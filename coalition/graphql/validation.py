"""Query validation once per distinct query text.

A till sends the same few documents thousands of times an hour. strawberry's
ValidationCache keys its cache on the validation rules too, and the depth and
alias limiters make new rule classes for every request, so it never hit:
validating ``earnPoints`` again on each call was most of a request's time.
Here the rules are built once, with the schema, and the errors (usually none)
are kept per query text in a bounded LRU cache.
"""

from __future__ import annotations

from collections.abc import Iterator

from cachetools import LRUCache
from graphql import GraphQLError
from graphql.validation import ASTValidationRule
from strawberry.extensions import SchemaExtension
from strawberry.extensions.max_aliases import create_validator as aliases_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule
from strawberry.schema.schema import validate_document


class ValidationRules:
    """The limits' rules and the cache, shared by every request of a schema."""

    def __init__(self, *, max_depth: int, max_aliases: int, maxsize: int = 256) -> None:
        self.extra: tuple[type[ASTValidationRule], ...] = (depth_rule(max_depth, None), aliases_rule(max_aliases))
        self.errors: LRUCache[str, list[GraphQLError]] = LRUCache(maxsize=maxsize)


class CachedValidation(SchemaExtension):
    def __init__(self, rules: ValidationRules) -> None:
        self._rules = rules

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        assert context.query is not None
        assert context.graphql_document is not None
        errors = self._rules.errors.get(context.query)
        if errors is None:
            errors = validate_document(
                context.schema._schema, context.graphql_document, (*context.validation_rules, *self._rules.extra)
            )
            self._rules.errors[context.query] = errors
        context.pre_execution_errors = errors
        yield
