"""Expected refusals, each with a stable code the API hands to clients."""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    VALIDATION = "VALIDATION"
    NOT_FOUND = "NOT_FOUND"
    FORBIDDEN = "FORBIDDEN"
    INSUFFICIENT_POINTS = "INSUFFICIENT_POINTS"
    IDEMPOTENCY_CONFLICT = "IDEMPOTENCY_CONFLICT"
    MEMBER_NOT_ELIGIBLE = "MEMBER_NOT_ELIGIBLE"
    # The operator has blocked this member: tills refuse the card.
    MEMBER_BLOCKED = "MEMBER_BLOCKED"
    PARTNER_NOT_ACTIVE = "PARTNER_NOT_ACTIVE"
    LIMIT_EXCEEDED = "LIMIT_EXCEEDED"
    ALREADY_REVERSED = "ALREADY_REVERSED"
    CONFLICT = "CONFLICT"


class DomainError(Exception):
    """A refusal the caller can act on; nothing was changed."""

    def __init__(self, code: ErrorCode, message: str, field: tuple[str, ...] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field

    @property
    def extensions(self) -> dict[str, str]:
        """Read by graphql-core when a query (not a mutation payload) refuses."""
        return {"code": self.code.value}


def validation(message: str, *field: str) -> DomainError:
    return DomainError(ErrorCode.VALIDATION, message, field or None)
