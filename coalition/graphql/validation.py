"""Query validation once per distinct query text, and the limits checked
around it.

A till sends the same few documents thousands of times an hour. strawberry's
ValidationCache keys its cache on the validation rules too, and the depth and
alias limiters make new rule classes for every request, so it never hit:
validating ``earnPoints`` again on each call was most of a request's time.
Here the rules are built once, with the schema, and the errors (usually none)
are kept per query text in a bounded LRU cache.

Before validating a new text its fields are counted: too many are refused
without validating (see ``limits``). After validation, on each request, the
variables are searched for control characters and the query's worst-case
cost is computed with the request's ``first`` values; either refuses the
request before any resolver runs.
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

from coalition.graphql.limits import (
    NoControlCharacters,
    control_character_at,
    control_character_error,
    field_count,
    query_cost,
    too_complex,
)


class ValidationRules:
    """The limits' rules and the cache, shared by every request of a schema."""

    def __init__(
        self, *, max_depth: int, max_aliases: int, max_fields: int = 300, max_cost: int = 1000, maxsize: int = 256
    ) -> None:
        self.extra: tuple[type[ASTValidationRule], ...] = (
            depth_rule(max_depth, None),
            aliases_rule(max_aliases),
            NoControlCharacters,
        )
        self.max_fields = max_fields
        self.max_cost = max_cost
        self.errors: LRUCache[str, list[GraphQLError]] = LRUCache(maxsize=maxsize)


class CachedValidation(SchemaExtension):
    def __init__(self, rules: ValidationRules) -> None:
        self._rules = rules

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        rules = self._rules
        assert context.query is not None
        assert context.graphql_document is not None
        errors = rules.errors.get(context.query)
        if errors is None:
            fields = field_count(context.graphql_document, stop_above=rules.max_fields)
            if fields > rules.max_fields:
                errors = [too_complex(f"The query selects more than {rules.max_fields} fields.")]
            else:
                errors = validate_document(
                    context.schema._schema, context.graphql_document, (*context.validation_rules, *rules.extra)
                )
            rules.errors[context.query] = errors
        if not errors:
            errors = self._request_errors()
        context.pre_execution_errors = errors
        yield

    def _request_errors(self) -> list[GraphQLError]:
        """What depends on this request's variables, in a valid document."""
        context = self.execution_context
        assert context.graphql_document is not None
        variables = context.variables or {}
        for name, value in variables.items():
            found = control_character_at(value, (name,))
            if found is not None:
                return [control_character_error(found)]
        cost = query_cost(context.schema._schema, context.graphql_document, context.operation_name, variables)
        if cost > self._rules.max_cost:
            return [
                too_complex(
                    f"The query could return up to {cost} objects, more than {self._rules.max_cost}: "
                    "ask for smaller pages (first) or fewer nested lists."
                )
            ]
        return []
