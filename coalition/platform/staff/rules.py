"""Who may grant which staff role, and what each role may do through the API.

Pure rules, no I/O."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from coalition.platform.auth.tokens import CredentialKind, PartnerRole
from coalition.platform.errors import DomainError, ErrorCode, validation


class StaffRole(StrEnum):
    OPERATOR_ADMIN = "OPERATOR_ADMIN"
    OPERATOR_FINANCE = "OPERATOR_FINANCE"
    OWNER = "OWNER"
    MANAGER = "MANAGER"
    CASHIER = "CASHIER"


OPERATOR_ROLES = frozenset({StaffRole.OPERATOR_ADMIN, StaffRole.OPERATOR_FINANCE})
SHOP_ROLES = frozenset({StaffRole.OWNER, StaffRole.MANAGER, StaffRole.CASHIER})
# Those who can change money, rules or other people's access sign in with a second factor.
SECOND_FACTOR_ROLES = OPERATOR_ROLES | {StaffRole.OWNER}
SUPPORTED_LANGUAGES = ("en", "nl", "fr", "pl", "nb")
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Grant:
    """One role a person holds: an operator role, or a role in one shop."""

    role: StaffRole
    partner_id: uuid.UUID | None = None


def checked_grant(role: str, partner_id: uuid.UUID | None) -> Grant:
    """A well-formed grant: shop roles name their shop, operator roles none."""
    try:
        known = StaffRole(role)
    except ValueError:
        raise validation(f"unknown role {role!r}: one of {', '.join(StaffRole)}", "role") from None
    if known in SHOP_ROLES and partner_id is None:
        raise validation(f"the role {known} is in one shop: name the partner", "partnerId")
    if known in OPERATOR_ROLES and partner_id is not None:
        raise validation(f"the role {known} is coalition-wide: name no partner", "partnerId")
    return Grant(known, partner_id)


def may_grant(granter: Iterable[Grant], grant: Grant) -> bool:
    """The operator's admins appoint operator staff and shop owners; a shop's
    owner appoints managers and cashiers of that shop and no other."""
    for held in granter:
        if held.role is StaffRole.OPERATOR_ADMIN and (grant.role in OPERATOR_ROLES or grant.role is StaffRole.OWNER):
            return True
        if (
            held.role is StaffRole.OWNER
            and grant.role in (StaffRole.MANAGER, StaffRole.CASHIER)
            and grant.partner_id == held.partner_id
        ):
            return True
    return False


def check_may_grant(granter: Iterable[Grant], grant: Grant) -> None:
    if not may_grant(granter, grant):
        raise DomainError(ErrorCode.FORBIDDEN, f"you may not appoint a {grant.role} here", ("role",))


def needs_second_factor(grants: Iterable[Grant]) -> bool:
    return any(grant.role in SECOND_FACTOR_ROLES for grant in grants)


def api_rights(grant: Grant) -> tuple[CredentialKind, PartnerRole | None]:
    """The API credential a signed-in person acts as: operator staff as the
    operator, an owner or manager as the shop's MANAGER key, a cashier as its till (POS)."""
    if grant.role in OPERATOR_ROLES:
        return CredentialKind.OPERATOR, None
    if grant.role is StaffRole.CASHIER:
        return CredentialKind.PARTNER, PartnerRole.POS
    return CredentialKind.PARTNER, PartnerRole.MANAGER


def normalised_email(email: str) -> str:
    """Addresses compare case-insensitively; they are kept as typed, trimmed."""
    trimmed = email.strip()
    if not _EMAIL.match(trimmed) or len(trimmed) > 254:
        raise validation(f"not an e-mail address: {email!r}", "email")
    return trimmed


def checked_language(language: str) -> str:
    if language not in SUPPORTED_LANGUAGES:
        raise validation(f"unsupported language {language!r}: one of {', '.join(SUPPORTED_LANGUAGES)}", "language")
    return language


def checked_password(password: str) -> str:
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise validation(f"a password has {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters", "password")
    return password
