"""Opaque bearer tokens: random, shown once, stored as their SHA-256."""

from __future__ import annotations

import hashlib
import secrets
from enum import StrEnum


class CredentialKind(StrEnum):
    OPERATOR = "OPERATOR"
    PARTNER = "PARTNER"
    MEMBER = "MEMBER"


class PartnerRole(StrEnum):
    POS = "POS"
    MANAGER = "MANAGER"


_PREFIX = {
    CredentialKind.OPERATOR: "coal_op_",
    CredentialKind.PARTNER: "coal_pk_",
    CredentialKind.MEMBER: "coal_mb_",
}


def new_token(kind: CredentialKind) -> str:
    return _PREFIX[kind] + secrets.token_urlsafe(32)


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()
