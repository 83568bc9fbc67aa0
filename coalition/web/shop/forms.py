"""What the shop's forms share: the idempotency key a form is rendered with,
reading amounts and points as people type them, and the API's refusals as
messages beside the field they are about, in the page's language.

Pure functions, no I/O: unit-tested in milliseconds."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from coalition.web.portal.layout import N_ as N_

MAX_AMOUNT = Decimal("1000000")
MAX_POINTS = 10_000_000
_CARD = re.compile(r"^[A-Za-z0-9-]{4,32}$")


def new_key() -> str:
    """An idempotency key, made when a form is rendered: sending that form
    again (a retry after a network hiccup) repeats the key, and the API
    answers with the first result instead of posting twice."""
    return "web-" + secrets.token_hex(16)


@dataclass
class Refusal:
    """What a form got wrong: messages by field name, and one for the whole form."""

    fields: dict[str, str] = field(default_factory=dict)
    form: str | None = None

    def __bool__(self) -> bool:
        return bool(self.fields) or self.form is not None

    def on(self, name: str, message: str) -> Refusal:
        self.fields.setdefault(name, message)
        return self


def text_of(form: Any, name: str, limit: int = 200) -> str:
    """A submitted field, trimmed (a missing one is empty)."""
    return str(form.get(name, "") or "").strip()[:limit]


def card_number(value: str, refusal: Refusal, name: str = "cardNumber") -> str | None:
    compact = value.replace(" ", "")
    if not compact:
        refusal.on(name, N_("Scan the card or type its number."))
        return None
    if not _CARD.match(compact):
        refusal.on(name, N_("A card number has 4 to 32 letters, digits or dashes."))
        return None
    return compact


def amount(value: str, refusal: Refusal, name: str = "amount", *, required: bool = True) -> Decimal | None:
    """An amount in major units as a person types it: "12.50", "12,50", "€ 3"."""
    compact = value.replace(" ", "").replace("\u00a0", "").lstrip("€$£").replace(",", ".")
    if not compact:
        if required:
            refusal.on(name, N_("Enter the amount paid, for example 12.50."))
        return None
    try:
        parsed = Decimal(compact)
    except InvalidOperation:
        refusal.on(name, N_("Enter the amount paid, for example 12.50."))
        return None
    if not parsed.is_finite() or parsed <= 0 or parsed > MAX_AMOUNT:
        refusal.on(name, N_("The amount must be more than zero and at most one million."))
        return None
    if parsed.as_tuple().exponent < -2:  # type: ignore[operator]
        refusal.on(name, N_("Use at most two decimals."))
        return None
    return parsed


def points(value: str, refusal: Refusal, name: str = "points") -> int | None:
    compact = value.replace(" ", "").replace("\u00a0", "").replace(".", "").replace(",", "")
    if not compact.isdigit() or not 0 < int(compact) <= MAX_POINTS:
        refusal.on(name, N_("Enter a whole number of points, more than zero."))
        return None
    return int(compact)


# The API's refusals, by (code, field) and then by code alone: stable codes,
# our own words in the page's language (the API's messages are for developers).
_BY_FIELD = {
    ("NOT_FOUND", "cardNumber"): N_("No member has this card number."),
    ("MEMBER_NOT_ELIGIBLE", "cardNumber"): N_("This card cannot collect or spend points now."),
    ("VALIDATION", "cardNumber"): N_("A card number has 4 to 32 letters, digits or dashes."),
    ("CONFLICT", "cardNumber"): N_("This card number is already taken."),
    ("VALIDATION", "amount"): N_("The amount must be more than zero and at most one million."),
    ("VALIDATION", "lines"): N_("The lines add up to more than the amount."),
    ("VALIDATION", "points"): N_("Enter a whole number of points, more than zero."),
    ("INSUFFICIENT_POINTS", "points"): N_("The member does not have that many points to spend yet."),
    ("NOT_FOUND", "code"): N_("No coupon has this code."),
    ("FORBIDDEN", "code"): N_("This coupon is for another shop."),
    ("CONFLICT", "code"): N_("This coupon has been used already or has expired."),
    ("VALIDATION", "email"): N_("This is not an e-mail address."),
    ("VALIDATION", "phone"): N_("Write the phone number with its country code, for example +31612345678."),
    ("VALIDATION", "iban"): N_("This is not a valid IBAN: check the country code and every digit."),
    ("VALIDATION", "birthDate"): N_("This birth date is not plausible."),
    ("ALREADY_REVERSED", "transactionId"): N_("This purchase has been returned in full already."),
    ("NOT_FOUND", "transactionId"): N_("This purchase is not one of your shop's."),
}
# Refusals the API places on no field (the ledger's): the first of these
# fields the form has gets the message, else the form as a whole.
_BY_CODE: dict[str, tuple[tuple[str | None, str], ...]] = {
    "NOT_FOUND": (
        ("cardNumber", N_("No member has this card number.")),
        ("transactionId", N_("This purchase is not one of your shop's.")),
    ),
    "MEMBER_NOT_ELIGIBLE": (("cardNumber", N_("This card cannot collect or spend points now.")),),
    "INSUFFICIENT_POINTS": (("points", N_("The member does not have that many points to spend yet.")),),
    "ALREADY_REVERSED": (("transactionId", N_("This purchase has been returned in full already.")),),
    "CONFLICT": ((None, N_("Someone with this e-mail address or phone number is a member already.")),),
    "PARTNER_NOT_ACTIVE": ((None, N_("Your shop is not active in the coalition now, so the till cannot post.")),),
    "LIMIT_EXCEEDED": ((None, N_("A limit of the programme was reached; nothing was posted.")),),
    "IDEMPOTENCY_CONFLICT": ((None, N_("This form was sent before with other values. Start again from a new form.")),),
    "FORBIDDEN": ((None, N_("Your role may not do this.")),),
}
_ANYTHING_ELSE = N_("This could not be done; nothing was changed. Check the form and try again.")


def refused(errors: list[dict[str, Any]], fields: frozenset[str]) -> Refusal:
    """The API payload's ``errors`` as messages next to this form's ``fields``
    (or, when none is right, for the whole form)."""
    refusal = Refusal()
    for error in errors:
        code, where = str(error.get("code")), [str(f) for f in error.get("field") or []]
        named = next((f for f in where if f in fields), None)
        message = _BY_FIELD.get((code, named or ""))
        if named is not None and message is not None:
            refusal.on(named, message)
            continue
        candidates = _BY_CODE.get(code, ())
        placed = next(((f, m) for f, m in candidates if f is not None and f in fields), None)
        if placed is not None:
            refusal.on(placed[0], placed[1])
        elif named is not None:
            refusal.on(named, _ANYTHING_ELSE)
        elif refusal.form is None:
            general = [m for f, m in candidates if f is None]
            refusal.form = general[0] if general else _ANYTHING_ELSE
    return refusal
