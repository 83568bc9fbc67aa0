"""A staff person's own language: chosen on any page while signed in, it is
kept on their record (audited), so their next sign-in speaks it; a visitor's
choice stays in the cookie only; a refused choice changes nothing."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy import text

from coalition.platform.errors import DomainError, ErrorCode
from coalition.platform.staff import service
from coalition.platform.staff.rules import Grant, StaffRole
from coalition.platform.staff.service import principal_for
from tests.support.portal import PASSWORD, audit_actions, browser, set_up, slug_of
from tests.support.town import Town
from tests.support.web_sessions import form_token


async def _language(town: Town, person_id: uuid.UUID) -> str:
    async with town.engine.connect() as connection:
        found = await connection.execute(text("SELECT language FROM staff_people WHERE id = :p"), {"p": person_id})
        return str(found.scalar_one())


async def _sign_in(web: httpx.AsyncClient, town: Town, email: str) -> httpx.Response:
    page = await web.get("/portal/sign-in")
    fields = {"_csrf_token": form_token(page), "coalition": await slug_of(town), "email": email, "password": PASSWORD}
    answer = await web.post("/portal/sign-in", data=fields)
    assert answer.status_code == 303
    return answer


async def test_a_signed_in_person_s_choice_is_kept_for_their_next_sign_in(
    town: Town, client: httpx.AsyncClient
) -> None:
    shop, _ = await town.partner("Bakery")
    cashier = await set_up(town, Grant(StaffRole.CASHIER, shop))
    async with browser(client) as web:
        signed_in = await _sign_in(web, town, cashier.email)
        assert signed_in.cookies["coalition_language"] == "en"
        till = await web.get("/portal/shop/till")
        chosen = await web.post(
            "/language", data={"_csrf_token": form_token(till), "language": "pl", "back": "/portal/shop/till"}
        )
        assert (chosen.status_code, chosen.headers["location"]) == (303, "/portal/shop/till")
        assert chosen.cookies["coalition_language"] == "pl"
        assert '<html lang="pl">' in (await web.get("/portal/shop/till")).text
    assert await _language(town, cashier.id) == "pl"
    assert (await audit_actions(town, cashier.id)).count("staff.language") == 1

    async with browser(client) as elsewhere:  # another device: no cookie of the choice
        again = await _sign_in(elsewhere, town, cashier.email)
        assert again.cookies["coalition_language"] == "pl"
        assert '<html lang="pl">' in (await elsewhere.get(again.headers["location"])).text


async def test_a_refused_choice_or_a_form_without_its_token_changes_nothing(
    town: Town, client: httpx.AsyncClient
) -> None:
    shop, _ = await town.partner("Bakery")
    cashier = await set_up(town, Grant(StaffRole.CASHIER, shop))
    async with browser(client) as web:
        await _sign_in(web, town, cashier.email)
        token = form_token(await web.get("/portal/shop/till"))
        for bad in ("de", "", "NL", "nl-BE"):
            refused = await web.post("/language", data={"_csrf_token": token, "language": bad, "back": "/portal"})
            assert refused.status_code == 400
            assert 'id="field-language-error"' in refused.text
        tokenless = await web.post("/language", data={"language": "fr", "back": "/portal"})
        assert tokenless.status_code == 403
    assert await _language(town, cashier.id) == "en"
    assert "staff.language" not in await audit_actions(town, cashier.id)


async def test_a_visitor_s_choice_stays_in_the_cookie(town: Town, client: httpx.AsyncClient) -> None:
    shop, _ = await town.partner("Bakery")
    cashier = await set_up(town, Grant(StaffRole.CASHIER, shop))
    async with browser(client) as web:
        page = await web.get("/portal/sign-in")
        chosen = await web.post("/language", data={"_csrf_token": form_token(page), "language": "nb", "back": "/"})
        assert (chosen.status_code, chosen.cookies["coalition_language"]) == (303, "nb")
        signed_in = await _sign_in(web, town, cashier.email)
        assert signed_in.cookies["coalition_language"] == "en"  # the person's own, not the visitor's
    assert await _language(town, cashier.id) == "en"
    assert "staff.language" not in await audit_actions(town)


async def test_the_service_keeps_only_a_language_of_ours_for_a_person(town: Town) -> None:
    shop, _ = await town.partner("Bakery")
    manager = await set_up(town, Grant(StaffRole.MANAGER, shop))
    principal = principal_for(manager.id, town.coalition_id, Grant(StaffRole.MANAGER, shop))
    async with town.sessions.begin() as session:
        with pytest.raises(DomainError) as unsupported:
            await service.choose_language(session, principal, "de")
    assert (unsupported.value.code, unsupported.value.field) == (ErrorCode.VALIDATION, ("language",))
    async with town.sessions.begin() as session:
        with pytest.raises(DomainError) as keyless:
            await service.choose_language(session, town.operator, "nl")
    assert keyless.value.code is ErrorCode.FORBIDDEN
    for _ in range(2):  # the same choice again is no change, and is not audited again
        async with town.sessions.begin() as session:
            assert await service.choose_language(session, principal, "fr") == "fr"
    assert await _language(town, manager.id) == "fr"
    assert (await audit_actions(town, manager.id)).count("staff.language") == 1
