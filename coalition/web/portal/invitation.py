"""``/portal/invitation/<token>``: an invited person sets their name,
language and password; those whose roles need a second factor (and anyone
who wants one) scan a QR code into an authenticator app and type back its
code; recovery codes are shown once, at the end.

The secret shown is kept in Redis until the invitation is accepted, so a
reload shows the same QR code the person may already have scanned."""

from __future__ import annotations

import hashlib
import io
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import segno
from litestar import Response, get, post
from markupsafe import Markup

from coalition.platform.coalitions.repository import coalition_by_id
from coalition.platform.errors import DomainError
from coalition.platform.runtime.unit_of_work import unit_of_work
from coalition.platform.staff import factors, repository, rules
from coalition.platform.staff.service import INVITATION, accept_invitation
from coalition.web.i18n import translations
from coalition.web.pages import AnyRequest, page_language
from coalition.web.portal import access
from coalition.web.portal.layout import N_

INVALID = N_("This invitation is not valid: it was used, it expired, or it never existed. Ask for a new one.")
FIELD_ERRORS = {
    "password": N_("A password has 12 to 256 characters."),
    "name": N_("Fill this in."),
    "language": N_("Choose one of the languages in the list."),
    "code": N_("This code does not match: type the code your app shows now."),
}
SECRET_KEPT = timedelta(days=7)


def _secret_key(token: str) -> str:
    return "portal:enrolment:" + hashlib.sha256(token.encode()).hexdigest()


async def _secret(request: AnyRequest, token: str) -> str:
    """The authenticator secret offered with this invitation (the same on every visit)."""
    redis = access.services_of(request).redis
    await redis.set(_secret_key(token), factors.new_totp_secret(), nx=True, ex=int(SECRET_KEPT.total_seconds()))
    kept = await redis.get(_secret_key(token))
    return kept.decode() if isinstance(kept, bytes) else str(kept)


def qr_svg(text: str, title: str) -> Markup:
    """``text`` as a QR code: an SVG drawn on the server, nothing fetched."""
    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="svg", scale=5, border=4, xmldecl=False, title=title, omitsize=True,
                                     svgclass="qr-code")  # fmt: skip
    # segno's own SVG: it escapes the title it writes.
    return Markup(out.getvalue().decode())  # noqa: S704


async def _invitee(request: AnyRequest, token: str) -> tuple[uuid.UUID, repository.PersonRecord, bool] | None:
    """The invitation's coalition, person and whether a second factor is required; None if not valid."""
    digest, now = factors.link_token_hash(token), datetime.now(UTC)
    async with access.services_of(request).reads.connect() as connection:
        coalition_id = await repository.link_coalition(connection, digest, INVITATION, now)
        if coalition_id is None:
            return None
        person_id = await repository.link_owner(connection, digest, INVITATION, coalition_id, now)
        person = None if person_id is None else await repository.person_by_id(connection, person_id)
        if person is None:
            return None
        return coalition_id, person, rules.needs_second_factor(await repository.grants_of(connection, person.id))


async def _form(
    request: AnyRequest, token: str, person: repository.PersonRecord, required: bool, *, status_code: int = 200,
    name: str | None = None, language: str | None = None, errors: dict[str, str] | None = None,
) -> Response[str]:  # fmt: skip
    secret = await _secret(request, token)
    uri = factors.totp_provisioning_uri(secret, person.email)
    title = translations(page_language(request, default=person.language)).gettext("QR code for your authenticator app")
    return access.outside_page(
        request, "portal/invitation.html", status_code=status_code, token=token, person=person,
        name=person.name if name is None else name, chosen_language=language or person.language,
        required=required, secret=secret, uri=uri, qr=qr_svg(uri, title), errors=errors or {},
    )  # fmt: skip


@get("/portal/invitation/{token:str}", include_in_schema=False)
async def invitation_page(request: AnyRequest, token: str) -> Response[str]:
    found = await _invitee(request, token)
    if found is None:
        return access.outside_page(request, "portal/invitation_invalid.html", status_code=404,
                                   errors={"form": INVALID})  # fmt: skip
    _, person, required = found
    return await _form(request, token, person, required)


@post("/portal/invitation/{token:str}", include_in_schema=False)
async def accept(request: AnyRequest, token: str) -> Response[Any]:
    found = await _invitee(request, token)
    if found is None:
        return access.outside_page(request, "portal/invitation_invalid.html", status_code=404,
                                   errors={"form": INVALID})  # fmt: skip
    coalition_id, person, required = found
    form = await request.form()
    name, language = str(form.get("name", "")), str(form.get("language", ""))
    password, code = str(form.get("password", "")), str(form.get("code", "")).strip()
    if required and not code:
        return await _form(request, token, person, required, status_code=400, name=name, language=language,
                           errors={"code": N_("Fill this in.")})  # fmt: skip
    services = access.services_of(request)
    secret = await _secret(request, token) if required or code else None
    try:
        async with unit_of_work(services.sessions, services.redis, services.local_caches) as session:
            welcome = await accept_invitation(
                session, coalition_id=coalition_id, token=token, password=password, now=datetime.now(UTC),
                name=name, language=language, totp_secret=secret, totp_code=code or None,
            )  # fmt: skip
    except DomainError as refused:
        field = refused.field[0] if refused.field else "password"
        if field == "token":
            return access.outside_page(request, "portal/invitation_invalid.html", status_code=404,
                                       errors={"form": INVALID})  # fmt: skip
        message = FIELD_ERRORS.get(field, FIELD_ERRORS["password"])
        return await _form(request, token, person, required, status_code=400, name=name, language=language,
                           errors={field: message})  # fmt: skip
    await services.redis.delete(_secret_key(token))
    async with services.reads.connect() as connection:
        coalition = await coalition_by_id(connection, coalition_id)
    slug = coalition.slug if coalition else ""
    response = access.outside_page(
        request, "portal/welcome.html", recovery_codes=welcome.recovery_codes, slug=slug, errors={}
    )
    response.headers["Cache-Control"] = "no-store"
    return response
