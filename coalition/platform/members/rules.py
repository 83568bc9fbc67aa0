"""Member data rules, no I/O."""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from datetime import date

from coalition.platform.errors import validation

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
_PHONE = re.compile(r"^\+[1-9][0-9]{6,14}$")


def luhn_digit(digits: str) -> str:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def new_card_number() -> str:
    """13 digits with a Luhn check digit, so a mistyped card is caught at the till."""
    body = "8" + "".join(secrets.choice("0123456789") for _ in range(11))
    return body + luhn_digit(body)


def check_email(email: str | None) -> str | None:
    if email is None:
        return None
    email = email.strip()
    if len(email) > 254 or not _EMAIL.match(email):
        raise validation("email is not a valid address", "email")
    return email


def check_phone(phone: str | None) -> str | None:
    """E.164: a plus, the country code and the number, digits only."""
    if phone is None:
        return None
    compact = re.sub(r"[\s().-]", "", phone)
    if not _PHONE.match(compact):
        raise validation("phone must be in international form, e.g. +31612345678", "phone")
    return compact


def check_birth_date(birth_date: date | None, today: date) -> date | None:
    if birth_date is None:
        return None
    if birth_date > today or birth_date.year < today.year - 130:
        raise validation("birth date is not plausible", "birthDate")
    return birth_date


_REFERRAL_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread
# The lengths of the codes as generated: a longer one cannot be anybody's.
REFERRAL_CODE_LENGTH = 8
_INVITE_PREFIX = "INV"
_INVITE_RANDOM_BYTES = 5
INVITE_CODE_LENGTH = len(_INVITE_PREFIX) + 2 * _INVITE_RANDOM_BYTES


def new_referral_code() -> str:
    return "".join(secrets.choice(_REFERRAL_ALPHABET) for _ in range(REFERRAL_CODE_LENGTH))


def new_invite_code() -> str:
    return _INVITE_PREFIX + secrets.token_hex(_INVITE_RANDOM_BYTES).upper()


def normalise_code(code: str) -> str:
    return code.strip().upper().replace("-", "").replace(" ", "")


def check_referral_code(code: str) -> str:
    """The code as typed (any case, with dashes or spaces), normalised."""
    normalised = normalise_code(code)
    if len(normalised) > REFERRAL_CODE_LENGTH:
        raise validation(f"referralCode has at most {REFERRAL_CODE_LENGTH} characters", "referralCode")
    return normalised


def check_invite_code(code: str) -> str:
    normalised = normalise_code(code)
    if len(normalised) > INVITE_CODE_LENGTH:
        raise validation(f"inviteCode has at most {INVITE_CODE_LENGTH} characters", "inviteCode")
    return normalised


def check_referral(member_id: object, referrer_chain: Sequence[object]) -> None:
    """``referrer_chain``: the would-be referrer, then who referred them, and so
    on. Referring yourself, directly or round a loop, earns nothing."""
    if not referrer_chain:
        return
    if referrer_chain[0] == member_id:
        raise validation("a member cannot use their own referral code", "referralCode")
    if member_id in referrer_chain:
        raise validation("this referral would make a loop of members referring each other", "referralCode")
