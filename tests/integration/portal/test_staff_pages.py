"""The staff page in process: the operator's admin appoints owners, an owner
appoints and removes their shop's cashiers and managers (who are signed out
everywhere), and everyone else is refused."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from redis.asyncio import Redis

from coalition.platform.runtime.settings import Settings
from coalition.platform.staff import sessions
from coalition.platform.staff.rules import Grant, StaffRole
from tests.support.portal import audit_actions, browser, mailed_links, new_email, set_up
from tests.support.town import Town
from tests.support.web_sessions import add_staff_person, form_token, sign_in_staff


async def _signed_in(client: httpx.AsyncClient, settings: Settings, town: Town, grant: Grant) -> httpx.AsyncClient:
    redis = Redis.from_url(settings.redis_url or "")
    person = await add_staff_person(town.engine, coalition_id=town.coalition_id, role=grant.role,
                                    partner_id=grant.partner_id)  # fmt: skip
    web = browser(client)
    await sign_in_staff(web, redis, person_id=person, coalition_id=town.coalition_id, role=grant.role,
                        partner_id=grant.partner_id)  # fmt: skip
    await redis.aclose()
    return web


async def test_the_operators_admin_appoints_a_shop_owner(
    town: Town, client: httpx.AsyncClient, settings: Settings
) -> None:
    shop, _ = await town.partner("Bakery")
    async with await _signed_in(client, settings, town, Grant(StaffRole.OPERATOR_ADMIN)) as web:
        page = await web.get("/portal/staff")
        assert page.status_code == 200
        assert 'name="partnerId"' in page.text
        assert "Bakery" in page.text
        email = new_email("owner")
        fields = {"_csrf_token": form_token(page), "email": email, "name": "Olga", "role": "OWNER", "language": "pl"}
        no_shop = await web.post("/portal/staff/invite", data=fields)
        assert no_shop.status_code == 400
        assert 'id="field-partnerId-error"' in no_shop.text
        bad = await web.post("/portal/staff/invite", data={**fields, "email": "not an address", "partnerId": str(shop)})
        assert bad.status_code == 400
        assert 'id="field-email-error"' in bad.text
        assert await mailed_links(town, "not an address") == []
        done = await web.post("/portal/staff/invite", data={**fields, "partnerId": str(shop)})
        assert done.status_code == 303
        shown = await web.get(done.headers["location"])
        assert f"An invitation is on its way to {email}." in shown.text
        assert "Olga" in shown.text
    [link] = await mailed_links(town, email)
    assert link.startswith("/portal/invitation/")
    assert "staff.invite" in await audit_actions(town)


async def test_an_owner_manages_their_own_shops_staff_only(
    town: Town, client: httpx.AsyncClient, settings: Settings
) -> None:
    bakery, _ = await town.partner("Bakery")
    florist, _ = await town.partner("Florist")
    cashier = await set_up(town, Grant(StaffRole.CASHIER, bakery))
    elsewhere = await set_up(town, Grant(StaffRole.CASHIER, florist))
    redis = Redis.from_url(settings.redis_url or "")
    cashier_session = await sessions.open_session(
        redis, person_id=cashier.id, coalition_id=town.coalition_id, grant=Grant(StaffRole.CASHIER, bakery),
        now=datetime.now(UTC),
    )  # fmt: skip
    async with await _signed_in(client, settings, town, Grant(StaffRole.OWNER, bakery)) as web:
        page = await web.get("/portal/staff")
        assert cashier.email in page.text
        assert elsewhere.email not in page.text
        assert 'name="partnerId"' not in page.text
        token = form_token(page)
        owner_role = await web.post(
            "/portal/staff/invite",
            data={"_csrf_token": token, "email": new_email(), "name": "X", "role": "OWNER", "language": "en"},
        )
        assert owner_role.status_code == 400
        assert 'id="field-role-error"' in owner_role.text
        invited = await web.post(
            "/portal/staff/invite",
            data={"_csrf_token": token, "email": new_email(), "name": "Cas", "role": "CASHIER", "language": "en"},
        )
        assert invited.status_code == 303
        other = await web.post("/portal/staff/remove", data={"_csrf_token": token, "email": elsewhere.email})
        assert other.status_code == 403
        removed = await web.post("/portal/staff/remove", data={"_csrf_token": token, "email": cashier.email})
        assert removed.status_code == 303
        after = (await web.get(removed.headers["location"])).text
        assert f'value="{cashier.email}"' not in after
        assert "was removed and signed out everywhere." in after
    assert await sessions.load_session(redis, cashier_session, datetime.now(UTC)) is None
    await redis.aclose()
    assert "staff.remove" in await audit_actions(town, cashier.id)


async def test_others_are_refused_and_a_form_needs_its_token(
    town: Town, client: httpx.AsyncClient, settings: Settings
) -> None:
    shop, _ = await town.partner("Bakery")
    for grant in (Grant(StaffRole.CASHIER, shop), Grant(StaffRole.MANAGER, shop), Grant(StaffRole.OPERATOR_FINANCE)):
        async with await _signed_in(client, settings, town, grant) as web:
            assert (await web.get("/portal/staff")).status_code == 403
            assert (await web.get("/portal/keys")).status_code == 403
    async with browser(client) as stranger:
        answer = await stranger.get("/portal/staff")
        assert answer.status_code == 303
        assert answer.headers["location"] == "/portal/sign-in?next=%2Fportal%2Fstaff"
        # An ended (or expired) session is no session.
        stranger.cookies.set(sessions.COOKIE_NAME, "ended-long-ago")
        assert (await stranger.get("/portal/staff")).status_code == 303
    async with await _signed_in(client, settings, town, Grant(StaffRole.OWNER, shop)) as web:
        await web.get("/portal/staff")
        forged = await web.post("/portal/staff/invite", data={"email": new_email(), "name": "X", "role": "CASHIER"})
        assert forged.status_code == 403
