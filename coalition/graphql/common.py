"""The generic pieces every domain's types use: refusals, money, nodes,
pages, keyset cursors and ids."""

from __future__ import annotations

import base64
import re
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import strawberry
from graphql import StringValueNode, ValueNode
from strawberry.types.scalar import ScalarDefinition

from coalition.platform.errors import DomainError, validation
from coalition.platform.errors import ErrorCode as DomainErrorCode
from coalition.platform.money import to_major

MAX_PAGE = 100
_PLAIN_DECIMAL = re.compile(r"-?[0-9]{1,20}(\.[0-9]{1,12})?")

ErrorCode = strawberry.enum(DomainErrorCode, name="ErrorCode")


@strawberry.type(description="An expected refusal: nothing was changed.")
class MutationError:
    code: ErrorCode  # type: ignore[valid-type]
    message: str
    field: list[str] | None = None

    @classmethod
    def of(cls, error: DomainError) -> MutationError:
        return cls(code=error.code, message=error.message, field=list(error.field) if error.field else None)


@strawberry.type
class Money:
    amount: Decimal = strawberry.field(description='In major units, e.g. "12.34".')
    currency: str = strawberry.field(description="ISO 4217 code.")

    @classmethod
    def of_minor(cls, minor: int, currency: str) -> Money:
        return cls(amount=to_major(minor, currency), currency=currency)


@strawberry.interface
class Node:
    id: strawberry.ID


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None

    @classmethod
    def after(cls, cursors: list[str], *, more: bool) -> PageInfo:
        """The page info of a page whose edges carry ``cursors``; ``more``: rows follow it."""
        return cls(has_next_page=more, end_cursor=cursors[-1] if cursors else None)


@strawberry.type
class DonePayload:
    done: bool = False
    errors: list[MutationError] = strawberry.field(default_factory=list)


def page_size(first: int | None) -> int:
    if first is None or first < 1 or first > MAX_PAGE:
        raise DomainError(DomainErrorCode.VALIDATION, f"first must be between 1 and {MAX_PAGE}", ("first",))
    return first


def parse_id(value: str, *field: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError as exc:
        raise DomainError(DomainErrorCode.VALIDATION, "not a valid id", field or ("id",)) from exc


def id_or_none(value: str) -> uuid.UUID | None:
    """For lookups by id: a malformed id finds nothing, as an unknown one does."""
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def keyset_cursor(at: datetime, record_id: uuid.UUID) -> str:
    """An opaque cursor for lists ordered by (time, id), newest first."""
    return base64.urlsafe_b64encode(f"{at.isoformat()}|{record_id}".encode()).decode()


def parse_keyset_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        at, record_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        return datetime.fromisoformat(at), uuid.UUID(record_id)
    except (ValueError, UnicodeDecodeError) as exc:
        raise validation("not a valid cursor", "after") from exc


def plain(value: Decimal) -> Decimal:
    """Without trailing zeros or an exponent: 100, 1.5, 0.25."""
    normal = value.normalize()
    return normal.quantize(Decimal(1)) if int(normal.as_tuple().exponent) > 0 else normal


def _plain_decimal(value: object) -> Decimal:
    """Amounts and rates come as plain decimal strings ("12.50"): a JSON
    number (12.5) may already have lost digits as a float in the client, and
    exponents, NaN and Infinity are no amount."""
    if not isinstance(value, str) or not _PLAIN_DECIMAL.fullmatch(value):
        raise validation(f'a decimal is a plain decimal string such as "12.50", not {str(value)[:40]!r}')
    return Decimal(value)


def _plain_decimal_literal(node: ValueNode, _variables: dict[str, Any] | None = None) -> Decimal:
    if not isinstance(node, StringValueNode):
        raise validation('a decimal is a plain decimal string such as "12.50", not a number')
    return _plain_decimal(node.value)


PlainDecimal = ScalarDefinition(
    name="Decimal",
    description='A plain decimal string: "12.50", "-3", "0.25" (no numbers, exponents, NaN or Infinity).',
    specified_by_url=None,
    serialize=str,
    parse_value=_plain_decimal,
    parse_literal=_plain_decimal_literal,
    origin=Decimal,
)
