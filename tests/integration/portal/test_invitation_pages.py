"""Accepting an invitation in process: name, language and password; an
owner scans the authenticator's QR code and types back its code; the
recovery codes are shown once; bad input changes nothing."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import httpx
import pyotp

from coalition.platform.staff import repository
from coalition.platform.staff.rules import Grant, StaffRole
from tests.support.portal import browser, invite, slug_of
from tests.support.town import Town
from tests.support.web_sessions import form_token

NEW_PASSWORD = "a long new password"


def _secret(page: httpx.Response) -> str:
    found = re.search(r'<code class="uri">([^<]+)</code>', page.text)
    assert found is not None
    uri = found.group(1).replace("&amp;", "&")
    return parse_qs(urlparse(uri).query)["secret"][0]


async def _post(web: httpx.AsyncClient, path: str, page: httpx.Response, **fields: str) -> httpx.Response:
    values = {"_csrf_token": form_token(page), "name": "Ann Baker", "language": "nl", "password": NEW_PASSWORD}
    return await web.post(path, data={**values, **fields})


async def test_an_owner_enrols_an_authenticator_and_sees_recovery_codes_once(
    town: Town, client: httpx.AsyncClient
) -> None:
    shop, _ = await town.partner("Bakery")
    email, token = await invite(town, Grant(StaffRole.OWNER, shop))
    path = f"/portal/invitation/{token}"
    async with browser(client) as web:
        page = await web.get(path)
        assert page.status_code == 200
        assert '<svg xmlns="http://www.w3.org/2000/svg"' in page.text
        assert "otpauth://totp/" in page.text
        secret = _secret(page)
        # A reload shows the same secret: the app may already hold it.
        assert _secret(await web.get(path)) == secret
        without = await _post(web, path, page)
        assert without.status_code == 400
        assert 'id="field-code-error"' in without.text
        wrong = await _post(web, path, page, code="000000")
        assert wrong.status_code == 400
        assert "This code does not match" in wrong.text
        short = await _post(web, path, page, code=pyotp.TOTP(secret).now(), password="short")
        assert short.status_code == 400
        assert 'id="field-password-error"' in short.text
        accepted = await _post(web, path, page, code=pyotp.TOTP(secret).now())
        assert accepted.status_code == 200
        codes = re.findall(r"<li><code>([a-z0-9-]{14})</code></li>", accepted.text)
        assert len(codes) == 10
        assert accepted.headers["cache-control"] == "no-store"
        assert f"/portal/sign-in?coalition={await slug_of(town)}" in accepted.text
        spent = await web.get(path)
        assert spent.status_code == 404
    async with town.engine.connect() as connection:
        person = await repository.active_person_by_email(connection, town.coalition_id, email)
    assert person is not None
    assert (person.name, person.language, person.totp_secret) == ("Ann Baker", "nl", secret)


async def test_a_cashier_may_skip_the_authenticator_or_add_one(town: Town, client: httpx.AsyncClient) -> None:
    shop, _ = await town.partner("Bakery")
    skipped_email, skipped = await invite(town, Grant(StaffRole.CASHIER, shop))
    added_email, added = await invite(town, Grant(StaffRole.CASHIER, shop))
    async with browser(client) as web:
        page = await web.get(f"/portal/invitation/{skipped}")
        assert "Authenticator app (optional)" in page.text
        done = await _post(web, f"/portal/invitation/{skipped}", page)
        assert done.status_code == 200
        assert "recovery-codes" not in done.text
        page = await web.get(f"/portal/invitation/{added}")
        done = await _post(web, f"/portal/invitation/{added}", page, code=pyotp.TOTP(_secret(page)).now())
        assert done.status_code == 200
        assert "recovery-codes" in done.text
    async with town.engine.connect() as connection:
        without = await repository.active_person_by_email(connection, town.coalition_id, skipped_email)
        with_app = await repository.active_person_by_email(connection, town.coalition_id, added_email)
    assert without is not None
    assert without.totp_secret is None
    assert with_app is not None
    assert with_app.totp_secret is not None


async def test_an_unknown_invitation_and_a_missing_form_token_are_refused(
    town: Town, client: httpx.AsyncClient
) -> None:
    shop, _ = await town.partner("Bakery")
    _, token = await invite(town, Grant(StaffRole.MANAGER, shop))
    async with browser(client) as web:
        assert (await web.get("/portal/invitation/no-such-token")).status_code == 404
        page = await web.get(f"/portal/invitation/{token}")
        forged = await web.post(f"/portal/invitation/{token}", data={"name": "X", "password": NEW_PASSWORD})
        assert forged.status_code == 403
        # Nothing was spent.
        assert (await web.get(f"/portal/invitation/{token}")).status_code == 200
        assert page.status_code == 200
