"""``/wallet/me``: the member's e-mail, phone, birth date, language and
marketing consent (a new e-mail address proven by a code mailed to it, see
``email``); the download of everything held about them; deleting
their account (told first what happens to their points, then signed out).

Every read and change runs the page's documents as the member, through the
same API the operator's support uses."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from litestar import Response, get, post
from litestar.datastructures import State
from litestar.response import Redirect

from coalition.graphql.context import Services
from coalition.platform.members import sessions
from coalition.web.documents import PageData
from coalition.web.i18n import LANGUAGE_COOKIE
from coalition.web.pages import AnyRequest, html_page, page_language
from coalition.web.public.language import YEAR
from coalition.web.viewers import MemberViewer, member_viewer
from coalition.web.wallet.layout import CLEAR_SITE_DATA, N_, wallet_page
from coalition.web.wallet.me import email

# The API's refusals (field, code) as the page says them, next to the field.
MESSAGES = {
    ("email", "VALIDATION"): N_("Enter an e-mail address such as name@example.com."),
    ("email", "CONFLICT"): N_("Another member already uses this e-mail address."),
    ("phone", "VALIDATION"): N_("Enter the phone number in international form, such as +31612345678."),
    ("phone", "CONFLICT"): N_("Another member already uses this phone number."),
    ("birth_date", "VALIDATION"): N_("Enter your birth date, such as 1990-05-17."),
    ("preferred_language", "VALIDATION"): N_("Choose one of the languages in the list."),
}
REQUIRED_EMAIL = N_("Enter your e-mail address: you sign in with it.")
CONFIRM_MISSING = N_("Tick the box to confirm that your account is to be deleted.")
# The API's field names -> the form's.
FORM_FIELDS = {"email": "email", "phone": "phone", "birthDate": "birth_date", "language": "preferred_language"}
DOWNLOAD_NAME = "my-data.json"


async def _page_data(request: AnyRequest, state: State, pages: PageData, viewer: MemberViewer) -> dict[str, Any]:
    services: Services = state.services
    return await pages.fetch(services, viewer.principal, "wallet/me/me")


async def _language(request: AnyRequest, state: State, viewer: MemberViewer, data: dict[str, Any]) -> str:
    services: Services = state.services
    rules = await services.coalition_rules.get(viewer.coalition_id)
    person = ((data.get("me") or {}).get("profile") or {}).get("language")
    return page_language(request, default=rules.language, person=person)


def _form_of(profile: dict[str, Any]) -> dict[str, Any]:
    return {
        "email": profile.get("email") or "",
        "phone": profile.get("phone") or "",
        "birth_date": profile.get("birthDate") or "",
        "preferred_language": profile.get("language") or "",
        "marketing_consent": bool(profile.get("marketingConsent")),
    }


@get("/wallet/me", include_in_schema=False)
async def me_page(
    request: AnyRequest, state: State, pages: PageData, saved: bool = False, moved: bool = False
) -> Response[str]:
    viewer = await member_viewer(request)
    data = await _page_data(request, state, pages, viewer)
    language = await _language(request, state, viewer, data)
    form = _form_of(data["me"]["profile"] or {})
    form["preferred_language"] = form["preferred_language"] or language
    return wallet_page(request, viewer, "wallet/me/me.html", language=language, data=data, form=form, errors={},
                       saved=saved, moved=moved)  # fmt: skip


def _checked_form(raw: dict[str, str]) -> tuple[dict[str, Any], dict[str, str], dict[str, Any]]:
    """The form as typed, the page's own refusals (by field), and the API's input."""
    typed_date = raw.get("birth_date", "").strip()
    form: dict[str, Any] = {
        "email": raw.get("email", "").strip(),
        "phone": raw.get("phone", "").strip(),
        "birth_date": typed_date,
        "preferred_language": raw.get("preferred_language", "").strip(),
        "marketing_consent": raw.get("marketing_consent") == "yes",
    }
    errors: dict[str, str] = {}
    if not form["email"]:
        errors["email"] = REQUIRED_EMAIL
    birth_date: str | None = None
    if typed_date:
        try:
            birth_date = date.fromisoformat(typed_date).isoformat()
        except ValueError:
            errors["birth_date"] = MESSAGES[("birth_date", "VALIDATION")]
    variables = {
        "email": form["email"],
        "phone": form["phone"] or None,
        "birthDate": birth_date,
        "language": form["preferred_language"] or None,
        "marketingConsent": form["marketing_consent"],
    }
    return form, errors, variables


@post("/wallet/me", include_in_schema=False, status_code=303)
async def save_profile(request: AnyRequest, state: State, pages: PageData) -> Response[str] | Redirect:
    """The details saved; a new e-mail address is checked first (nothing is
    saved when it cannot be the member's), then a code is mailed to it."""
    viewer = await member_viewer(request)
    raw = {key: str(value) for key, value in (await request.form()).items()}
    form, errors, variables = _checked_form(raw)
    services: Services = state.services
    data = await _page_data(request, state, pages, viewer)
    language = await _language(request, state, viewer, data)
    current = ((data["me"]["profile"] or {}).get("email") or "").lower()
    moving = "email" not in errors and form["email"].lower() != current
    del variables["email"]  # only a code mailed to it changes the address
    if moving:
        refused = await email.refusal(services, viewer, form["email"])
        if refused is not None:
            errors["email"] = MESSAGES.get(("email", refused), MESSAGES[("email", "VALIDATION")])
    if not errors:
        answer = await pages.fetch(services, viewer.principal, "wallet/me/update", {"input": variables})
        for error in answer["updateProfile"]["errors"]:
            name = FORM_FIELDS.get((error["field"] or [""])[0], "email")
            errors[name] = MESSAGES.get((name, error["code"]), MESSAGES[("email", "VALIDATION")])
    if not errors and moving:
        language = variables["language"] or language
        too_many = await email.ask(request, services, viewer, form["email"], language)
        if too_many is None:
            asked = wallet_page(request, viewer, "wallet/me/email_code.html", language=language, data=data,
                                email=form["email"], error=None, status_code=200)  # fmt: skip
            return _remember_language(asked, variables["language"])
        errors["email"] = too_many
    if not errors:
        return _remember_language(Redirect("/wallet/me?saved=true", status_code=303), variables["language"])
    return wallet_page(request, viewer, "wallet/me/me.html", language=language, status_code=400, data=data,
                       form=form, errors=errors, saved=False, moved=False)  # fmt: skip


def _remember_language(response: Response[str] | Redirect, language: str | None) -> Response[str] | Redirect:
    if language:
        # Every page follows the choice, those that do not read the member's setting too.
        response.set_cookie(LANGUAGE_COOKIE, language, max_age=YEAR, httponly=True, samesite="lax")
    return response


@post("/wallet/me/email", include_in_schema=False, status_code=303)
async def confirm_email(request: AnyRequest, state: State, pages: PageData) -> Response[str] | Redirect:
    """The code mailed to the new address typed: the address is the member's now (they stay signed in)."""
    viewer = await member_viewer(request)
    form = await request.form()
    services: Services = state.services
    outcome = await email.confirm(services, viewer, str(form.get("code", "")))
    if not isinstance(outcome, str):
        return Redirect("/wallet/me?moved=true", status_code=303)
    data = await _page_data(request, state, pages, viewer)
    language = await _language(request, state, viewer, data)
    return wallet_page(request, viewer, "wallet/me/email_code.html", language=language, status_code=400, data=data,
                       email=str(form.get("email", ""))[:254], error=outcome)  # fmt: skip


@post("/wallet/me/data", include_in_schema=False, status_code=200)
async def download_my_data(request: AnyRequest, state: State, pages: PageData) -> Response[bytes]:
    """A POST (with the form token), so no other site can make a browser fetch it."""
    viewer = await member_viewer(request)
    services: Services = state.services
    answer = await pages.fetch(services, viewer.principal, "wallet/me/export")
    body = json.dumps(answer["exportPersonalData"]["data"], ensure_ascii=False, indent=2).encode()
    return Response(
        body,
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{DOWNLOAD_NAME}"', "Cache-Control": "no-store"},
    )


@get("/wallet/me/delete", include_in_schema=False)
async def delete_page(request: AnyRequest, state: State, pages: PageData) -> Response[str]:
    viewer = await member_viewer(request)
    data = await _page_data(request, state, pages, viewer)
    language = await _language(request, state, viewer, data)
    return wallet_page(request, viewer, "wallet/me/delete.html", language=language, data=data, error=None)


@post("/wallet/me/delete", include_in_schema=False, status_code=303)
async def delete_account(request: AnyRequest, state: State, pages: PageData) -> Response[str] | Redirect:
    viewer = await member_viewer(request)
    form = await request.form()
    services: Services = state.services
    if form.get("confirm") != "yes":
        data = await _page_data(request, state, pages, viewer)
        language = await _language(request, state, viewer, data)
        return wallet_page(request, viewer, "wallet/me/delete.html", language=language, status_code=400, data=data,
                           error=CONFIRM_MISSING)  # fmt: skip
    data = await _page_data(request, state, pages, viewer)
    language = await _language(request, state, viewer, data)
    await pages.fetch(services, viewer.principal, "wallet/me/erase")
    # The API ended every session already; this browser's cookie goes too.
    redirect = Redirect(f"/wallet/me/deleted?lang={language}", status_code=303, headers=CLEAR_SITE_DATA)
    redirect.delete_cookie(sessions.COOKIE_NAME, path=sessions.COOKIE_PATH)
    return redirect


@get("/wallet/me/deleted", include_in_schema=False)
async def deleted_page(request: AnyRequest, lang: str | None = None) -> Response[str]:
    """Said to whoever was signed in: there is no member to show the wallet to any more."""
    return html_page(request, "wallet/me/deleted.html", page_language(request, default="en", asked=lang))
