"""The things a person signs in with: an argon2-hashed password, a TOTP
secret, single-use recovery codes, and one-time link tokens."""

from __future__ import annotations

import hashlib
import secrets

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

RECOVERY_CODES = 10
TOTP_ISSUER = "Coalition"

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(password_hash: str | None, password: str) -> bool:
    if password_hash is None:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def wasted_password_check(password: str) -> None:
    """Costs what a real check costs, so an unknown address is not told apart by timing."""
    password_matches(_DUMMY_HASH, password)


_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_provisioning_uri(secret: str, email: str) -> str:
    """What the authenticator app scans (as a QR code) to learn the secret."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=TOTP_ISSUER)


def totp_matches(secret: str | None, code: str) -> bool:
    """The current 30-second code, or the one just before or after (clocks drift)."""
    return secret is not None and pyotp.TOTP(secret).verify(code.strip(), valid_window=1)


def new_recovery_codes() -> list[str]:
    """Ten codes like ``k3f9-x2pq-7hmd``: about 59 random bits each, shown once."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return [
        "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(3)) for _ in range(RECOVERY_CODES)
    ]


def recovery_code_hash(code: str) -> bytes:
    # Random codes, not chosen by people: a fast hash is enough.
    return hashlib.sha256(code.strip().lower().encode()).digest()


def new_link_token() -> str:
    return secrets.token_urlsafe(32)


def link_token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()
