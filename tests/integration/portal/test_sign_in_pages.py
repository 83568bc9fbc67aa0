"""The portal's sign-in pages in process: password, the second factor in a
second step, a mailed one-time link confirmed with a POST, choosing one of
several roles, the session cookie, lockout, signing out (here and everywhere)."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from redis.asyncio import Redis

from coalition.platform.runtime.settings import Settings
from coalition.platform.staff import sessions
from coalition.platform.staff.limits import ACCOUNT_FAILURES
from coalition.platform.staff.rules import Grant, StaffRole
from tests.support.portal import PASSWORD, audit_actions, browser, mailed_links, set_up, slug_of
from tests.support.town import Town
from tests.support.web_sessions import form_token


async def _password(web: httpx.AsyncClient, slug: str, email: str, password: str, **extra: str) -> httpx.Response:
    page = await web.get("/portal/sign-in")
    fields = {"_csrf_token": form_token(page), "coalition": slug, "email": email, "password": password, **extra}
    return await web.post("/portal/sign-in", data=fields)


async def _live(settings: Settings, session_id: str) -> sessions.StaffSession | None:
    redis = Redis.from_url(settings.redis_url or "")
    try:
        return await sessions.load_session(redis, session_id, datetime.now(UTC))
    finally:
        await redis.aclose()


async def test_a_cashier_signs_in_with_a_password_and_gets_a_safe_rotated_cookie(
    town: Town, client: httpx.AsyncClient, settings: Settings
) -> None:
    shop, _ = await town.partner("Bakery")
    cashier = await set_up(town, Grant(StaffRole.CASHIER, shop))
    async with browser(client) as web:
        web.cookies.set(sessions.COOKIE_NAME, "planted-before-sign-in")
        answer = await _password(web, await slug_of(town), cashier.email, PASSWORD)
        assert answer.status_code == 303
        assert answer.headers["location"] == "/portal/shop/till"
        cookie = next(h for h in answer.headers.get_list("set-cookie") if h.startswith(sessions.COOKIE_NAME))
        assert "HttpOnly" in cookie
        assert "SameSite=lax" in cookie
        assert "Path=/" in cookie
        assert "Secure" not in cookie  # plain http here
        session_id = answer.cookies[sessions.COOKIE_NAME]
        assert answer.cookies["coalition_language"] == "en"  # the person's own language
    assert session_id != "planted-before-sign-in"
    live = await _live(settings, session_id)
    assert live is not None
    assert live.grant == Grant(StaffRole.CASHIER, shop)
    assert "staff.sign_in" in await audit_actions(town, cashier.id)


async def test_over_https_the_cookie_is_secure_and_next_is_followed_only_on_this_site(
    town: Town, client: httpx.AsyncClient
) -> None:
    shop, _ = await town.partner("Bakery")
    cashier = await set_up(town, Grant(StaffRole.CASHIER, shop))
    slug = await slug_of(town)
    async with browser(client, https=True) as web:
        answer = await _password(web, slug, cashier.email, PASSWORD, next="/portal/shop/till?x=1")
        assert answer.headers["location"] == "/portal/shop/till?x=1"
        cookie = next(h for h in answer.headers.get_list("set-cookie") if h.startswith(sessions.COOKIE_NAME))
        assert "Secure" in cookie
    async with browser(client) as web:
        answer = await _password(web, slug, cashier.email, PASSWORD, next="//evil.example/x")
        assert answer.headers["location"] == "/portal/shop/till"


async def test_an_owner_gives_the_authenticator_code_in_a_second_step(
    town: Town, client: httpx.AsyncClient, settings: Settings
) -> None:
    shop, _ = await town.partner("Bakery")
    owner = await set_up(town, Grant(StaffRole.OWNER, shop))
    async with browser(client) as web:
        first = await _password(web, await slug_of(town), owner.email.upper(), PASSWORD)
        assert first.status_code == 303
        assert first.headers["location"] == "/portal/sign-in/code"
        assert sessions.COOKIE_NAME not in first.cookies
        step = await web.get("/portal/sign-in/code")
        assert 'autocomplete="one-time-code"' in step.text
        wrong = await web.post("/portal/sign-in/code", data={"_csrf_token": form_token(step), "code": "000000"})
        assert wrong.status_code == 403
        assert 'id="field-code-error"' in wrong.text
        assert "Wrong e-mail address, password or code." in wrong.text
        right = await web.post("/portal/sign-in/code", data={"_csrf_token": form_token(step), "code": owner.code()})
        assert right.status_code == 303
        assert right.headers["location"] == "/portal/shop/dashboard"
        live = await _live(settings, right.cookies[sessions.COOKIE_NAME])
        assert live is not None
        assert live.grant.role is StaffRole.OWNER
        # The sign-in under way is over: its step cannot be posted again.
        again = await web.post("/portal/sign-in/code", data={"_csrf_token": form_token(step), "code": owner.code()})
        assert again.status_code == 400


async def test_a_recovery_code_works_once_instead_of_the_app(town: Town, client: httpx.AsyncClient) -> None:
    shop, _ = await town.partner("Bakery")
    owner = await set_up(town, Grant(StaffRole.OWNER, shop))
    slug = await slug_of(town)
    for expected in (303, 403):
        async with browser(client) as web:
            await _password(web, slug, owner.email, PASSWORD)
            step = await web.get("/portal/sign-in/code")
            answer = await web.post(
                "/portal/sign-in/code", data={"_csrf_token": form_token(step), "code": owner.recovery_codes[0]}
            )
            assert answer.status_code == expected


async def test_bad_input_is_shown_next_to_its_field(town: Town, client: httpx.AsyncClient) -> None:
    async with browser(client) as web:
        page = await web.get("/portal/sign-in")
        empty = await web.post(
            "/portal/sign-in", data={"_csrf_token": form_token(page), "coalition": "", "email": "", "password": ""}
        )
        assert empty.status_code == 400
        for name in ("coalition", "email", "password"):
            assert f'id="field-{name}-error"' in empty.text
        unknown = await _password(web, "no-such-town", "a@b.example", "x")
        assert unknown.status_code == 400
        assert "No coalition has this name." in unknown.text


async def test_a_form_without_its_token_is_refused(town: Town, client: httpx.AsyncClient) -> None:
    shop, _ = await town.partner("Bakery")
    cashier = await set_up(town, Grant(StaffRole.CASHIER, shop))
    async with browser(client) as web:
        await web.get("/portal/sign-in")
        answer = await web.post(
            "/portal/sign-in", data={"coalition": await slug_of(town), "email": cashier.email, "password": PASSWORD}
        )
        assert answer.status_code == 403
        assert sessions.COOKIE_NAME not in answer.cookies


async def test_repeated_failures_lock_the_account_and_say_so(town: Town, client: httpx.AsyncClient) -> None:
    shop, _ = await town.partner("Bakery")
    cashier = await set_up(town, Grant(StaffRole.CASHIER, shop))
    slug = await slug_of(town)
    async with browser(client) as web:
        for _ in range(ACCOUNT_FAILURES):
            assert (await _password(web, slug, cashier.email, "wrong password!")).status_code == 403
    async with browser(client) as other:
        locked = await _password(other, slug, cashier.email, PASSWORD)
        assert locked.status_code == 429
        assert "Too many failed sign-ins: try again in 15 minutes." in locked.text
    assert "staff.sign_in_locked" in await audit_actions(town)


async def test_a_mailed_link_is_confirmed_with_a_post_and_works_once(
    town: Town, client: httpx.AsyncClient, settings: Settings
) -> None:
    shop, _ = await town.partner("Bakery")
    cashier = await set_up(town, Grant(StaffRole.CASHIER, shop))
    async with browser(client) as web:
        page = await web.get("/portal/sign-in")
        sent = await web.post(
            "/portal/sign-in/link",
            data={"_csrf_token": form_token(page), "coalition": await slug_of(town), "link_email": cashier.email},
        )
        assert sent.status_code == 200
        assert cashier.email in sent.text
        [link] = [path for path in await mailed_links(town, cashier.email) if "/sign-in/link/" in path]
        # Opening it (as a mail scanner does) spends nothing.
        for _ in range(2):
            opened = await web.get(link)
            assert opened.status_code == 200
        used = await web.post(link, data={"_csrf_token": form_token(opened)})
        assert used.status_code == 303
        assert used.headers["location"] == "/portal/shop/till"
        assert await _live(settings, used.cookies[sessions.COOKIE_NAME]) is not None
        again = await web.post(link, data={"_csrf_token": form_token(opened)})
        assert again.status_code == 404


async def test_an_owners_link_asks_for_the_code_too(town: Town, client: httpx.AsyncClient) -> None:
    shop, _ = await town.partner("Bakery")
    owner = await set_up(town, Grant(StaffRole.OWNER, shop))
    async with browser(client) as web:
        page = await web.get("/portal/sign-in")
        await web.post(
            "/portal/sign-in/link",
            data={"_csrf_token": form_token(page), "coalition": await slug_of(town), "link_email": owner.email},
        )
        link = (await mailed_links(town, owner.email))[-1]
        opened = await web.get(link)
        assert 'name="code"' in opened.text
        without = await web.post(link, data={"_csrf_token": form_token(opened)})
        assert without.status_code == 403
        assert 'id="field-code-error"' in without.text
        signed = await web.post(link, data={"_csrf_token": form_token(opened), "code": owner.code()})
        assert signed.status_code == 303


async def test_a_person_with_several_roles_chooses_one(
    town: Town, client: httpx.AsyncClient, settings: Settings
) -> None:
    bakery, _ = await town.partner("Bakery")
    florist, _ = await town.partner("Florist")
    person = await set_up(town, Grant(StaffRole.CASHIER, bakery), extra=[Grant(StaffRole.MANAGER, florist)])
    async with browser(client) as web:
        answer = await _password(web, await slug_of(town), person.email, PASSWORD)
        assert answer.headers["location"] == "/portal/sign-in/role"
        choices = await web.get("/portal/sign-in/role")
        assert "Cashier: Bakery" in choices.text
        assert "Manager: Florist" in choices.text
        chosen = await web.post("/portal/sign-in/role", data={"_csrf_token": form_token(choices), "grant": "1"})
        assert chosen.headers["location"] == "/portal/shop/dashboard"
        live = await _live(settings, chosen.cookies[sessions.COOKIE_NAME])
        assert live is not None
        assert live.grant == Grant(StaffRole.MANAGER, florist)


async def test_signing_out_here_and_everywhere(town: Town, client: httpx.AsyncClient, settings: Settings) -> None:
    shop, _ = await town.partner("Bakery")
    cashier = await set_up(town, Grant(StaffRole.CASHIER, shop))
    slug = await slug_of(town)
    async with browser(client) as phone, browser(client) as tablet, browser(client) as desk:
        ids = []
        for web in (phone, tablet, desk):
            ids.append((await _password(web, slug, cashier.email, PASSWORD)).cookies[sessions.COOKIE_NAME])
        token = form_token(await phone.get("/portal/sign-in"))
        out = await phone.post("/portal/sign-out", data={"_csrf_token": token})
        assert out.status_code == 303
        assert await _live(settings, ids[0]) is None
        assert await _live(settings, ids[1]) is not None
        token = form_token(await tablet.get("/portal/sign-in"))
        everywhere = await tablet.post("/portal/sign-out/everywhere", data={"_csrf_token": token})
        assert everywhere.status_code == 303
        assert await _live(settings, ids[1]) is None
        assert await _live(settings, ids[2]) is None
