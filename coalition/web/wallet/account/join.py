"""Joining in the wallet (an invite code in an invite-only coalition), and
claiming a card enrolled at a till. Both end on the code page: the address
is the member's once they typed the code mailed to it."""

from __future__ import annotations

import uuid
from datetime import date

from litestar import Response, get, post

from coalition.platform.coalitions.repository import CoalitionRecord
from coalition.platform.errors import DomainError
from coalition.platform.members import access
from coalition.platform.members.codes import Purpose, TooMany
from coalition.platform.members.service import Enrolment
from coalition.platform.runtime.unit_of_work import unit_of_work
from coalition.web.documents import PageData, visitor
from coalition.web.i18n import translations
from coalition.web.pages import AnyRequest, page_language
from coalition.web.wallet.account.common import (
    client_address,
    codes,
    composer,
    mailing,
    outside_page,
    services,
    visiting_coalition,
)
from coalition.web.wallet.account.sign_in import NO_COALITION, code_form, sign_in_form, too_many_message


def N_(text: str) -> str:  # noqa: N802: gettext's name for "translated where it is shown"
    return text


# The API's field names, as the forms name them, and what to tell the member.
FIELDS = {"email": "email", "phone": "phone", "birthDate": "birth_date", "referralCode": "referral_code",
          "inviteCode": "invite_code", "cardNumber": "card_number"}  # fmt: skip
MESSAGES = {
    "email": N_("Enter an e-mail address, like name@example.com."),
    "phone": N_("Enter the phone number in international form, like +31612345678."),
    "birth_date": N_("Enter your birth date as a real date in the past."),
    "referral_code": N_("No member has this referral code. Check it, or leave it empty."),
    "invite_code": N_("This invite code is not valid, has expired or has been used up."),
    "card_number": N_("Enter the card number as it is printed on the card."),
    "terms": N_("Agree to the programme's terms to join."),
    "": N_("This e-mail address or phone number is already in use."),
}


def _errors(request: AnyRequest, error: DomainError) -> dict[str, str]:
    field = FIELDS.get(error.field[0], "") if error.field else ""
    return {field: translations(page_language(request, default="en")).gettext(MESSAGES[field])}


async def _form(request: AnyRequest) -> dict[str, str]:
    form = await request.form()
    return {key: str(value).strip() for key, value in form.items()}


async def _join_form(
    request: AnyRequest, pages: PageData, coalition: CoalitionRecord, values: dict[str, str],
    errors: dict[str, str] | None = None, status_code: int = 200,
) -> Response[str]:  # fmt: skip
    data = await pages.fetch(services(request), visitor(coalition.id), "wallet/account/join")
    return outside_page(
        request, "wallet/account/join.html", coalition, status_code=status_code, page=data, values=values,
        errors=errors or {}, invite_only=data["coalitionRules"]["enrolmentMode"] == "INVITE_ONLY",
    )  # fmt: skip


@get("/wallet/join", include_in_schema=False)
async def join_page(
    request: AnyRequest, pages: PageData, ref: str | None = None, invite: str | None = None
) -> Response[str]:
    coalition = await visiting_coalition(request)
    if coalition is None:
        return outside_page(request, NO_COALITION, None, status_code=404)
    values = {"referral_code": (ref or "")[:32], "invite_code": (invite or "")[:32], "key": uuid.uuid4().hex}
    return await _join_form(request, pages, coalition, values)


def _birth_date(typed: str) -> date | None:
    if not typed:
        return None
    try:
        return date.fromisoformat(typed)
    except ValueError:
        return date.max  # not plausible: the rules say so, next to the field


@post("/wallet/join", include_in_schema=False, status_code=200)
async def join(request: AnyRequest, pages: PageData) -> Response[str]:
    values = await _form(request)
    coalition = await visiting_coalition(request, values.get("coalition"))
    if coalition is None:
        return outside_page(request, NO_COALITION, None, status_code=404)
    values.setdefault("key", uuid.uuid4().hex)
    if values.get("terms") != "yes":
        unticked = MESSAGES["terms"]
        errors = {"terms": translations(page_language(request, default="en")).gettext(unticked)}
        return await _join_form(request, pages, coalition, values, errors, status_code=400)
    request_: Enrolment = Enrolment(
        idempotency_key=values["key"][:64] or uuid.uuid4().hex, card_number=None,
        email=values.get("email", ""), phone=values.get("phone") or None,
        birth_date=_birth_date(values.get("birth_date", "")), invite_code=values.get("invite_code") or None,
        referral_code=values.get("referral_code") or None,
    )  # fmt: skip
    language = page_language(request, default="en")
    try:
        async with unit_of_work(services(request).sessions) as session:
            outcome = await access.join(
                session, codes(request), coalition_id=coalition.id, request=request_, client=client_address(request),
                compose=composer(language, Purpose.SIGN_IN, coalition.name), mailing=mailing(request),
            )  # fmt: skip
    except DomainError as error:
        return await _join_form(request, pages, coalition, values, _errors(request, error), status_code=400)
    if isinstance(outcome, TooMany):
        return await _too_many(request, pages, coalition, outcome)
    return code_form(request, coalition, purpose=Purpose.SIGN_IN, email=values["email"], next_path="/wallet")


async def _too_many(
    request: AnyRequest, pages: PageData, coalition: CoalitionRecord, outcome: TooMany
) -> Response[str]:
    return await sign_in_form(request, pages, coalition, next_path="/wallet",
                              notice=too_many_message(request, outcome), status_code=429)  # fmt: skip


def _claim_form(
    request: AnyRequest, coalition: CoalitionRecord, values: dict[str, str], errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response[str]:  # fmt: skip
    return outside_page(
        request, "wallet/account/claim.html", coalition, status_code=status_code, values=values, errors=errors or {}
    )


@get("/wallet/claim", include_in_schema=False)
async def claim_page(request: AnyRequest) -> Response[str]:
    coalition = await visiting_coalition(request)
    if coalition is None:
        return outside_page(request, NO_COALITION, None, status_code=404)
    return _claim_form(request, coalition, {})


@post("/wallet/claim", include_in_schema=False, status_code=200)
async def claim(request: AnyRequest, pages: PageData) -> Response[str]:
    values = await _form(request)
    coalition = await visiting_coalition(request, values.get("coalition"))
    if coalition is None:
        return outside_page(request, NO_COALITION, None, status_code=404)
    language = page_language(request, default="en")
    try:
        async with unit_of_work(services(request).sessions) as session:
            outcome = await access.ask_to_claim(
                session, codes(request), coalition_id=coalition.id, card_number=values.get("card_number", ""),
                email=values.get("email", ""), client=client_address(request),
                compose=composer(language, Purpose.CLAIM, coalition.name), mailing=mailing(request),
            )  # fmt: skip
    except DomainError as error:
        return _claim_form(request, coalition, values, _errors(request, error), status_code=400)
    if isinstance(outcome, TooMany):
        return await _too_many(request, pages, coalition, outcome)
    return code_form(request, coalition, purpose=Purpose.CLAIM, email=values["email"], next_path="/wallet")
