"""The shop's settings page: its owner or manager reads and saves the
insight settings (kind, agreement to be named, margin); a bad margin is
answered next to the field and changes nothing; a cashier is refused; the
page reads in every language."""

from __future__ import annotations

import httpx
from redis.asyncio import Redis
from sqlalchemy import text

from coalition.platform.runtime.settings import Settings
from coalition.platform.staff.rules import StaffRole
from coalition.web.i18n import LANGUAGE_COOKIE
from tests.support.town import Town
from tests.support.web_sessions import add_staff_person, form_token, sign_in_staff

PAGE = "/portal/settings"


async def _stored(town: Town) -> tuple[str | None, bool, str | None]:
    async with town.engine.connect() as connection:
        row = (
            await connection.execute(
                text("SELECT kind, named_in_insights, margin FROM partners WHERE coalition_id = :c"),
                {"c": town.coalition_id},
            )
        ).one()
    return row.kind, row.named_in_insights, None if row.margin is None else str(row.margin)


async def test_an_owner_saves_the_settings_and_a_bad_margin_changes_nothing(
    town: Town, client: httpx.AsyncClient, settings: Settings
) -> None:
    shop, _ = await town.partner("Bakery")
    redis = Redis.from_url(str(settings.redis_url))
    async with httpx.AsyncClient(transport=client._transport, base_url=client.base_url) as browser:
        owner = await add_staff_person(town.engine, coalition_id=town.coalition_id, role=StaffRole.OWNER,
                                       partner_id=shop)  # fmt: skip
        await sign_in_staff(browser, redis, person_id=owner, coalition_id=town.coalition_id, role=StaffRole.OWNER,
                            partner_id=shop)  # fmt: skip
        page = await browser.get(PAGE)
        assert page.status_code == 200
        assert 'for="field-kind"' in page.text
        assert 'for="field-margin"' in page.text
        saved = await browser.post(
            PAGE, data={"_csrf_token": form_token(page), "kind": "bakery", "named": "on", "margin": "32,5"}
        )
        assert saved.status_code == 303
        assert await _stored(town) == ("bakery", True, "0.3250")
        shown = await browser.get(saved.headers["location"])
        assert 'value="32.5"' in shown.text
        assert "Your settings are saved." in shown.text

        refused = await browser.post(PAGE, data={"_csrf_token": form_token(shown), "kind": "florist", "margin": "130"})
        assert refused.status_code == 400
        assert 'id="field-margin-error"' in refused.text
        assert 'value="florist"' in refused.text
        assert await _stored(town) == ("bakery", True, "0.3250")
        too_long = await browser.post(PAGE, data={"_csrf_token": form_token(shown), "kind": "x" * 41, "margin": ""})
        assert too_long.status_code == 400
        assert 'id="field-kind-error"' in too_long.text
        assert await _stored(town) == ("bakery", True, "0.3250")
        no_token = await browser.post(PAGE, data={"kind": "florist", "margin": "10"})
        assert no_token.status_code == 403
        assert await _stored(town) == ("bakery", True, "0.3250")

        for language, heading in (("nl", "Instellingen"), ("fr", "Paramètres"), ("pl", "Ustawienia"),
                                  ("nb", "Innstillinger")):  # fmt: skip
            browser.cookies.set(LANGUAGE_COOKIE, language)
            translated = await browser.get(PAGE)
            assert f"<h1>{heading}</h1>" in translated.text, language

        browser.cookies.clear()
        cashier = await add_staff_person(town.engine, coalition_id=town.coalition_id, role=StaffRole.CASHIER,
                                         partner_id=shop)  # fmt: skip
        await sign_in_staff(browser, redis, person_id=cashier, coalition_id=town.coalition_id,
                            role=StaffRole.CASHIER, partner_id=shop)  # fmt: skip
        assert (await browser.get(PAGE)).status_code == 403
    await redis.aclose()
