"""``/portal/sign-in``: e-mail and password, then the second factor for those
who have one; or a one-time link by e-mail, confirmed with a POST (mail
scanners open links); then the role, for a person with several. Every
attempt is audited and limited by the sign-in services."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Response, get, post
from litestar.response import Redirect

from coalition.platform.coalitions.reads import partners_by_id
from coalition.platform.errors import ErrorCode
from coalition.platform.runtime.unit_of_work import unit_of_work
from coalition.platform.staff import factors, repository
from coalition.platform.staff import sign_in as service
from coalition.platform.staff.limits import SignInLimits
from coalition.platform.staff.service import SIGN_IN
from coalition.web.pages import AnyRequest
from coalition.web.portal import access
from coalition.web.portal.layout import N_

WRONG = N_("Wrong e-mail address, password or code.")
LOCKED = N_("Too many failed sign-ins: try again in 15 minutes.")
NO_COALITION = N_("No coalition has this name.")
NEEDED = N_("Fill this in.")
LINK_INVALID = N_("This sign-in link is not valid: it was used, it expired, or it never existed.")
EXPIRED = N_("That took too long: sign in again.")


def _page(request: AnyRequest, template: str, *, status_code: int = 200, **values: Any) -> Response[str]:
    return access.outside_page(request, template, status_code=status_code, **values)


def _form_page(
    request: AnyRequest, *, email: str = "", coalition: str | None = None, next_path: str | None = None,
    errors: dict[str, str] | None = None, status_code: int = 200,
) -> Response[str]:  # fmt: skip
    return _page(
        request, "portal/sign_in.html", status_code=status_code, email=email,
        coalition=access.remembered_coalition(request) if coalition is None else coalition,
        asks_coalition=access.asks_for_coalition(request), next_path=access.local_path(next_path) or "",
        errors=errors or {},
    )  # fmt: skip


def _limits(request: AnyRequest) -> SignInLimits:
    return SignInLimits(access.services_of(request).redis)


def _refusal(refused: service.Refused) -> str:
    return LOCKED if refused.code is ErrorCode.LIMIT_EXCEEDED else WRONG


async def _onwards(request: AnyRequest, signed: service.SignedIn, next_path: str | None, slug: str | None) -> Redirect:
    """Into a session with the person's role, or to choosing one of several."""
    if len(signed.grants) == 1:
        return await access.signed_in(
            request, person_id=signed.person_id, coalition_id=signed.coalition_id, grant=signed.grants[0],
            next_path=next_path, slug=slug,
        )  # fmt: skip
    return await access.begin_pending(
        access.services_of(request).redis, request, "role", person=str(signed.person_id),
        coalition=str(signed.coalition_id), grants=access.grants_as_json(signed.grants), next=next_path, slug=slug,
    )  # fmt: skip


@get("/portal/sign-in", include_in_schema=False)
async def sign_in_page(request: AnyRequest, next: str | None = None, coalition: str | None = None) -> Response[str]:
    return _form_page(request, coalition=coalition, next_path=next)


@post("/portal/sign-in", include_in_schema=False)
async def sign_in_with_password(request: AnyRequest) -> Response[Any]:
    form = await request.form()
    email, password = str(form.get("email", "")).strip(), str(form.get("password", ""))
    slug, next_path = str(form.get("coalition", "")).strip(), str(form.get("next", "")) or None
    errors: dict[str, str] = {}
    found = await access.portal_coalition(request, slug)
    if found is None:
        errors["coalition"] = NEEDED if not slug else NO_COALITION
    if not email:
        errors["email"] = NEEDED
    if not password:
        errors["password"] = NEEDED
    if errors or found is None:
        return _form_page(request, email=email, coalition=slug, next_path=next_path, errors=errors, status_code=400)
    services = access.services_of(request)
    async with unit_of_work(services.sessions, services.redis, services.local_caches) as session:
        outcome = await service.with_password(
            session, _limits(request), access.attempt_of(request, found.id), email=email, password=password,
            code=None, two_steps=True,
        )  # fmt: skip
    if isinstance(outcome, service.Refused):
        return _form_page(
            request, email=email, coalition=slug, next_path=next_path, errors={"form": _refusal(outcome)},
            status_code=429 if outcome.code is ErrorCode.LIMIT_EXCEEDED else 403,
        )  # fmt: skip
    if isinstance(outcome, service.CodeNeeded):
        return await access.begin_pending(
            services.redis, request, "code", person=str(outcome.person_id), coalition=str(outcome.coalition_id),
            next=next_path, slug=found.slug,
        )  # fmt: skip
    return await _onwards(request, outcome, next_path, found.slug)


@get("/portal/sign-in/code", include_in_schema=False)
async def code_page(request: AnyRequest) -> Response[Any]:
    if await access.pending(request, "code") is None:
        return _form_page(request, errors={"form": EXPIRED})
    return _page(request, "portal/sign_in_code.html", errors={})


@post("/portal/sign-in/code", include_in_schema=False)
async def sign_in_with_code(request: AnyRequest) -> Response[Any]:
    under_way = await access.pending(request, "code")
    if under_way is None:
        return _form_page(request, errors={"form": EXPIRED}, status_code=400)
    code = str((await request.form()).get("code", "")).strip()
    if not code:
        return _page(request, "portal/sign_in_code.html", status_code=400, errors={"code": NEEDED})
    services = access.services_of(request)
    attempt = access.attempt_of(request, uuid.UUID(under_way["coalition"]))
    async with unit_of_work(services.sessions, services.redis, services.local_caches) as session:
        outcome = await service.with_second_factor(
            session, _limits(request), attempt, person_id=uuid.UUID(under_way["person"]), code=code
        )
    if isinstance(outcome, service.Refused):
        status = 429 if outcome.code is ErrorCode.LIMIT_EXCEEDED else 403
        return _page(request, "portal/sign_in_code.html", status_code=status, errors={"code": _refusal(outcome)})
    await access.end_pending(request)
    return await _onwards(request, outcome, under_way.get("next"), under_way.get("slug"))


@get("/portal/sign-in/role", include_in_schema=False)
async def role_page(request: AnyRequest) -> Response[Any]:
    under_way = await access.pending(request, "role")
    if under_way is None:
        return _form_page(request, errors={"form": EXPIRED})
    grants = access.grants_from_json(under_way["grants"])
    shops = [grant.partner_id for grant in grants if grant.partner_id is not None]
    async with access.services_of(request).reads.connect() as connection:
        names = {partner_id: record.name for partner_id, record in (await partners_by_id(connection, shops)).items()}
    choices = [(index, grant.role.value, names.get(grant.partner_id) if grant.partner_id else None)
               for index, grant in enumerate(grants)]  # fmt: skip
    return _page(request, "portal/sign_in_role.html", choices=choices)


@post("/portal/sign-in/role", include_in_schema=False)
async def choose_role(request: AnyRequest) -> Response[Any]:
    under_way = await access.pending(request, "role")
    if under_way is None:
        return _form_page(request, errors={"form": EXPIRED}, status_code=400)
    grants = access.grants_from_json(under_way["grants"])
    chosen = str((await request.form()).get("grant", ""))
    if not chosen.isdigit() or int(chosen) >= len(grants):
        return Redirect("/portal/sign-in/role", status_code=303)
    await access.end_pending(request)
    return await access.signed_in(
        request, person_id=uuid.UUID(under_way["person"]), coalition_id=uuid.UUID(under_way["coalition"]),
        grant=grants[int(chosen)], next_path=under_way.get("next"), slug=under_way.get("slug"),
    )  # fmt: skip


@post("/portal/sign-in/link", include_in_schema=False)
async def request_link(request: AnyRequest) -> Response[str]:
    form = await request.form()
    email, slug = str(form.get("link_email", "")).strip(), str(form.get("coalition", "")).strip()
    found = await access.portal_coalition(request, slug)
    errors: dict[str, str] = {}
    if found is None:
        errors["coalition"] = NEEDED if not slug else NO_COALITION
    if not email:
        errors["link_email"] = NEEDED
    if errors or found is None:
        return _form_page(request, coalition=slug, errors=errors, status_code=400)
    services = access.services_of(request)
    async with unit_of_work(services.sessions, services.redis, services.local_caches) as session:
        await service.request_link(
            session, _limits(request), access.attempt_of(request, found.id), email=email,
            mailing=access.mailing_of(request),
        )  # fmt: skip
    # The same answer whether or not the address is someone's.
    return _page(request, "portal/sign_in_link_sent.html", email=email)


async def _link_needs_code(request: AnyRequest, token: str) -> bool | None:
    """Whether this link's person gives a code too; None if the link is not valid."""
    digest, now = factors.link_token_hash(token), access.attempt_of(request, uuid.UUID(int=0)).now
    async with access.services_of(request).reads.connect() as connection:
        coalition_id = await repository.link_coalition(connection, digest, SIGN_IN, now)
        person_id = None if coalition_id is None else await repository.link_owner(
            connection, digest, SIGN_IN, coalition_id, now
        )  # fmt: skip
        person = None if person_id is None else await repository.person_by_id(connection, person_id)
        if person is None:
            return None
        return service.needs_code(person, await repository.grants_of(connection, person.id))


@get("/portal/sign-in/link/{token:str}", include_in_schema=False)
async def link_page(request: AnyRequest, token: str) -> Response[str]:
    needs_code = await _link_needs_code(request, token)
    if needs_code is None:
        return _form_page(request, errors={"form": LINK_INVALID}, status_code=404)
    return _page(request, "portal/sign_in_link.html", token=token, needs_code=needs_code, errors={})


@post("/portal/sign-in/link/{token:str}", include_in_schema=False)
async def sign_in_with_link(request: AnyRequest, token: str) -> Response[Any]:
    code = str((await request.form()).get("code", "")).strip() or None
    services = access.services_of(request)
    async with services.reads.connect() as connection:
        coalition_id = await repository.link_coalition(
            connection, factors.link_token_hash(token), SIGN_IN, access.attempt_of(request, uuid.UUID(int=0)).now
        )
    if coalition_id is None:
        return _form_page(request, errors={"form": LINK_INVALID}, status_code=404)
    async with unit_of_work(services.sessions, services.redis, services.local_caches) as session:
        outcome = await service.with_link(
            session, _limits(request), access.attempt_of(request, coalition_id), token=token, code=code
        )
    if isinstance(outcome, service.Refused):
        status = 429 if outcome.code is ErrorCode.LIMIT_EXCEEDED else 403
        return _page(
            request, "portal/sign_in_link.html", status_code=status, token=token, needs_code=True,
            errors={"code": _refusal(outcome) if code or status == 429 else NEEDED},
        )  # fmt: skip
    return await _onwards(request, outcome, None, None)
