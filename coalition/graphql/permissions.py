"""Who may do what. A denied read answers like a missing record; a denied
write is a FORBIDDEN payload error."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar

from coalition.graphql.context import Context
from coalition.platform.auth.service import Principal
from coalition.platform.auth.tokens import CredentialKind, PartnerRole
from coalition.platform.errors import DomainError, ErrorCode

P = ParamSpec("P")
R = TypeVar("R")


def forbidden(what: str) -> DomainError:
    return DomainError(ErrorCode.FORBIDDEN, f"this credential may not {what}")


def require_operator(context: Context, what: str) -> Principal:
    if context.principal.kind != CredentialKind.OPERATOR:
        raise forbidden(what)
    return context.principal


def require_partner(context: Context, what: str, role: PartnerRole | None = None) -> Principal:
    principal = context.principal
    if principal.kind != CredentialKind.PARTNER:
        raise forbidden(what)
    if role is PartnerRole.MANAGER and principal.role != PartnerRole.MANAGER:
        raise forbidden(what)
    return principal


def require_member(context: Context, what: str) -> Principal:
    if context.principal.kind != CredentialKind.MEMBER or context.principal.member_id is None:
        raise forbidden(what)
    return context.principal


def require_partner_or_operator(context: Context, what: str) -> Principal:
    if context.principal.kind == CredentialKind.MEMBER:
        raise forbidden(what)
    return context.principal


def refusals_as(
    payload: Callable[..., Any],
) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Awaitable[R]]]:
    """Turn a DomainError raised by a mutation into ``payload(errors=[...])``."""
    from coalition.graphql.types import MutationError

    def decorate(resolver: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        @functools.wraps(resolver)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return await resolver(*args, **kwargs)
            except DomainError as error:
                result: R = payload(errors=[MutationError.of(error)])
                return result

        return wrapper

    return decorate
