"""The API keys page (an owner makes a till key, shown once, that works at
once, and revokes it) and the development-only mail page."""

from __future__ import annotations

import re

import httpx
from redis.asyncio import Redis

from coalition.app import create_app
from coalition.platform.runtime.settings import Settings
from coalition.platform.staff.rules import Grant, StaffRole
from tests.support.portal import browser, invite
from tests.support.town import Town
from tests.support.web_sessions import add_staff_person, form_token, sign_in_staff

QUERY = {"query": "{ coalition { name } }"}


async def _owner(client: httpx.AsyncClient, settings: Settings, town: Town, shop: object) -> httpx.AsyncClient:
    redis = Redis.from_url(settings.redis_url or "")
    person = await add_staff_person(town.engine, coalition_id=town.coalition_id, role=StaffRole.OWNER,
                                    partner_id=shop)  # type: ignore[arg-type]  # fmt: skip
    web = browser(client)
    await sign_in_staff(web, redis, person_id=person, coalition_id=town.coalition_id, role=StaffRole.OWNER,
                        partner_id=shop)  # type: ignore[arg-type]  # fmt: skip
    await redis.aclose()
    return web


async def test_an_owner_makes_a_till_key_shown_once_and_revokes_it(
    town: Town, client: httpx.AsyncClient, settings: Settings
) -> None:
    shop, _ = await town.partner("Bakery")
    other_shop, other_key = await town.partner("Florist")
    async with await _owner(client, settings, town, shop) as web:
        page = await web.get("/portal/keys")
        assert page.status_code == 200
        too_long = await web.post("/portal/keys/create", data={"_csrf_token": form_token(page), "label": "x" * 201})
        assert too_long.status_code == 400
        assert 'id="field-label-error"' in too_long.text
        made = await web.post("/portal/keys/create", data={"_csrf_token": form_token(page), "label": "Front counter"})
        assert made.status_code == 200
        assert made.headers["cache-control"] == "no-store"
        found = re.search(r'<code class="api-key">([^<]+)</code>', made.text)
        assert found is not None
        key = found.group(1)
        works = await client.post("/graphql", json=QUERY, headers={"Authorization": f"Bearer {key}"})
        assert works.status_code == 200
        listed = await web.get("/portal/keys")
        assert "Front counter" in listed.text
        assert key not in listed.text
        key_id = re.search(r'name="id" value="([^"]+)"', listed.text)
        assert key_id is not None
        # Another shop's key is not this owner's to revoke.
        others = await client.post(
            "/graphql", json={"query": "{ apiKeys { id } }"}, headers={"Authorization": f"Bearer {other_key}"}
        )
        other_id = others.json()["data"]["apiKeys"][0]["id"]
        refused = await web.post("/portal/keys/revoke", data={"_csrf_token": form_token(listed), "id": other_id})
        assert refused.status_code == 404
        revoked = await web.post("/portal/keys/revoke", data={"_csrf_token": form_token(listed), "id": key_id.group(1)})
        assert revoked.status_code == 303
        assert "Front counter" not in (await web.get("/portal/keys")).text
    stopped = await client.post("/graphql", json=QUERY, headers={"Authorization": f"Bearer {key}"})
    assert stopped.status_code == 401
    still = await client.post("/graphql", json=QUERY, headers={"Authorization": f"Bearer {other_key}"})
    assert still.status_code == 200
    assert other_shop


async def test_the_mail_page_exists_in_development_only(
    town: Town, client: httpx.AsyncClient, settings: Settings
) -> None:
    shop, _ = await town.partner("Bakery")
    email, token = await invite(town, Grant(StaffRole.OWNER, shop))
    assert (await client.get("/portal/dev/mail")).status_code == 404
    app = create_app(settings.model_copy(update={"development": True}))
    async with (
        app.lifespan(),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://d.test") as dev,
    ):
        page = await dev.get("/portal/dev/mail")
        assert page.status_code == 200
        assert email in page.text
        assert f"/portal/invitation/{token}</a>" in page.text
