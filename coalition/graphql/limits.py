"""What a query may ask for, measured on its parsed document: the number of
fields, the worst-case number of objects, and the characters of its strings.

The field count runs before validation. Validation is quadratic in the
fields that could overlap: a 23 KB document of 1,240 repeated fields took
two seconds to refuse, a cost an attacker could pay again by changing one
space. Counting (fragments expanded, each counted once) is linear and
cheap, so refusing such a document costs no more than parsing it.

The cost is the worst case of objects a query returns: each field of an
object type counts the product of the list sizes above it and its own. A
field taking ``first`` returns at most ``first`` (given or default, at most
the largest page) objects in its list; any other list of objects is counted as ``UNPAGED_LIST``, for
the short lists it holds (a member's coupons, a payload's errors).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from graphql import (
    ArgumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    StringValueNode,
    ValueNode,
    VariableDefinitionNode,
    VariableNode,
    get_named_type,
    is_composite_type,
)
from graphql.language import DocumentNode
from graphql.validation import ASTValidationRule, ValidationContext

from coalition.graphql.common import MAX_PAGE

UNPAGED_LIST = 5
QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
# C0 controls other than tab, line feed and carriage return: NUL cannot be
# stored in PostgreSQL text at all, and the others have no place in names,
# codes, addresses or descriptions.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def too_complex(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": QUERY_TOO_COMPLEX})


# ---------- field count ----------


def field_count(document: DocumentNode, *, stop_above: int) -> int:
    """Fields in the document with every fragment spread expanded; stops
    counting once past ``stop_above``. A fragment cycle counts as nothing
    here (validation refuses it)."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    counted: dict[str, int] = {}

    def count(selections: SelectionSetNode | None, visiting: frozenset[str]) -> int:
        total = 0
        for selection in selections.selections if selections else ():
            if isinstance(selection, FieldNode):
                total += 1 + count(selection.selection_set, visiting)
            elif isinstance(selection, InlineFragmentNode):
                total += count(selection.selection_set, visiting)
            elif isinstance(selection, FragmentSpreadNode):
                total += spread(selection.name.value, visiting)
            if total > stop_above:
                break
        return total

    def spread(name: str, visiting: frozenset[str]) -> int:
        if name not in counted:
            fragment = fragments.get(name)
            if fragment is None or name in visiting:
                return 0
            counted[name] = count(fragment.selection_set, visiting | {name})
        return counted[name]

    total = 0
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            total += count(definition.selection_set, frozenset())
        if total > stop_above:
            break
    return total


# ---------- cost ----------


def _int_argument(node: FieldNode, name: str, variables: Mapping[str, Any]) -> int | None:
    for argument in node.arguments or ():
        if argument.name.value != name:
            continue
        value = argument.value
        if isinstance(value, IntValueNode):
            return int(value.value)
        if isinstance(value, VariableNode):
            given = variables.get(value.name.value)
            return given if isinstance(given, int) else None
    return None


def query_cost(
    schema: GraphQLSchema, document: DocumentNode, operation_name: str | None, variables: Mapping[str, Any]
) -> int:
    """The worst-case number of objects the operation returns; the document
    must have passed validation."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [o for o in operations if operation_name is None or (o.name and o.name.value == operation_name)]
    if not chosen:
        return 0
    operation = chosen[0]
    root = {
        OperationType.QUERY: schema.query_type,
        OperationType.MUTATION: schema.mutation_type,
        OperationType.SUBSCRIPTION: schema.subscription_type,
    }[operation.operation]
    if root is None:
        return 0

    def fields_of(selections: SelectionSetNode | None, parent: Any) -> Iterator[tuple[FieldNode, Any]]:
        for selection in selections.selections if selections else ():
            if isinstance(selection, FieldNode):
                yield selection, parent
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                yield from fields_of(
                    selection.selection_set, schema.get_type(condition.name.value) if condition else parent
                )
            elif isinstance(selection, FragmentSpreadNode):
                fragment = fragments.get(selection.name.value)
                if fragment is not None:
                    yield from fields_of(fragment.selection_set, schema.get_type(fragment.type_condition.name.value))

    def cost(selections: SelectionSetNode | None, parent: Any, above: int) -> int:
        total = 0
        for node, owner in fields_of(selections, parent):
            definition = owner.fields.get(node.name.value) if hasattr(owner, "fields") else None
            if definition is None:
                continue
            returned = definition.type.of_type if isinstance(definition.type, GraphQLNonNull) else definition.type
            if not is_composite_type(get_named_type(returned)):
                continue
            here = above
            below = above
            if "first" in definition.args:
                # One connection whose edges are a page of ``first``.
                # A page over the largest is refused by the resolver: it costs the largest.
                first = _int_argument(node, "first", variables)
                page = first if first is not None else definition.args["first"].default_value or 1
                below *= min(max(page, 1), MAX_PAGE)
            elif isinstance(returned, GraphQLList) and not _paged_edges(owner):
                here = below = above * UNPAGED_LIST
            total += here + cost(node.selection_set, get_named_type(returned), below)
        return total

    return cost(operation.selection_set, root, 1)


def _paged_edges(owner: Any) -> bool:
    """A connection's edges: their number is the ``first`` already counted."""
    return isinstance(owner, GraphQLObjectType) and owner.name.endswith("Connection")


# ---------- control characters ----------


def control_character_at(value: object, path: tuple[str, ...]) -> tuple[str, ...] | None:
    """Where, in a variable's value, a string holds a refused control character."""
    if isinstance(value, str):
        return path if _CONTROL.search(value) else None
    if isinstance(value, Mapping):
        items: Iterator[tuple[str, object]] = ((str(k), v) for k, v in value.items())
    elif isinstance(value, list):
        items = ((str(i), v) for i, v in enumerate(value))
    else:
        return None
    for name, item in items:
        found = control_character_at(item, (*path, name))
        if found is not None:
            return found
    return None


def control_character_error(path: tuple[str, ...]) -> GraphQLError:
    return GraphQLError(
        f"{'.'.join(path)}: control characters (NUL and the like) are not allowed in text",
        extensions={"code": "VALIDATION", "field": list(path)},
    )


class NoControlCharacters(ASTValidationRule):
    """Refuses string literals in arguments holding control characters."""

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)

    def enter_argument(self, node: ArgumentNode, *_: Any) -> None:
        found = _literal_control_character(node.value, (node.name.value,))
        if found is not None:
            self.report_error(control_character_error(found))

    def enter_variable_definition(self, node: VariableDefinitionNode, *_: Any) -> None:
        if node.default_value is not None:
            found = _literal_control_character(node.default_value, (node.variable.name.value,))
            if found is not None:
                self.report_error(control_character_error(found))


def _literal_control_character(value: ValueNode, path: tuple[str, ...]) -> tuple[str, ...] | None:
    if isinstance(value, StringValueNode):
        return path if _CONTROL.search(value.value) else None
    children: list[tuple[str, ValueNode]] = []
    if isinstance(value, ObjectValueNode):
        children = [(f.name.value, f.value) for f in value.fields]
    elif isinstance(value, ListValueNode):
        children = [(str(i), v) for i, v in enumerate(value.values)]
    for name, child in children:
        found = _literal_control_character(child, (*path, name))
        if found is not None:
            return found
    return None
