"""The operator's coalition rules page in process: each section saved, bad
input shown next to its field with nothing changed, invite codes shown once,
charities; only operator admin may."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import text

from coalition.platform.runtime.settings import Settings
from coalition.platform.staff.rules import StaffRole
from tests.support.operator_pages import signed_in
from tests.support.town import Town
from tests.support.web_sessions import form_token

PAGE = "/portal/operator/rules"


@pytest.fixture
async def redis(settings: Settings) -> AsyncIterator[Redis]:
    assert settings.redis_url
    connection = Redis.from_url(settings.redis_url)
    yield connection
    await connection.aclose()


async def _rules(town: Town) -> str:
    async with town.engine.connect() as c:
        found = await c.execute(text("SELECT coalesce(document::text, '') FROM coalition_rules WHERE coalition_id = :c"),
                                {"c": town.coalition_id})  # fmt: skip
        return str(found.scalar())


async def test_each_section_is_saved_and_bad_input_changes_nothing(
    town: Town, client: httpx.AsyncClient, redis: Redis
) -> None:
    async with await signed_in(client, redis, town, StaffRole.OPERATOR_ADMIN) as admin:
        page = await admin.get(PAGE)
        assert page.status_code == 200
        assert 'href="/terms/' in page.text
        token = form_token(page)
        before = await _rules(town)
        band = await admin.post(f"{PAGE}/band", data={"_csrf_token": token, "minEarnRate": "3", "maxEarnRate": "2",
                                                      "maxPointsPerTransaction": "", "maxPointsPerMemberPerDay": ""})  # fmt: skip
        assert band.status_code == 400
        assert 'id="f-band-minEarnRate-error"' in band.text
        tiers = await admin.post(f"{PAGE}/tiers", data={
            "_csrf_token": token, "basis": "POINTS", "windowDays": "365", "retentionDays": "30",
            "tier-0-code": "BRONZE", "tier-0-name": "Bronze", "tier-0-threshold": "0", "tier-0-multiplier": "1",
            "tier-1-code": "GOLD", "tier-1-name": "Gold", "tier-1-threshold": "0", "tier-1-multiplier": "1.5",
        })  # fmt: skip
        assert tiers.status_code == 400  # the thresholds do not rise: the API says which tier
        assert 'id="f-tiers-tier-1-threshold-error"' in tiers.text
        assert await _rules(town) == before
        saved = await admin.post(f"{PAGE}/band", data={"_csrf_token": token, "minEarnRate": "0,5",
                                                       "maxEarnRate": "5", "maxPointsPerTransaction": "1000",
                                                       "maxPointsPerMemberPerDay": ""})  # fmt: skip
        assert saved.status_code == 303
        tiers = await admin.post(f"{PAGE}/tiers", data={
            "_csrf_token": token, "basis": "POINTS", "windowDays": "365", "retentionDays": "30",
            "tier-0-code": "BRONZE", "tier-0-name": "Bronze", "tier-0-threshold": "0", "tier-0-multiplier": "1",
            "tier-1-code": "GOLD", "tier-1-name": "Gold", "tier-1-threshold": "500", "tier-1-multiplier": "1.5",
            "tier-1-benefits": "Free coffee, Early sales",
        })  # fmt: skip
        assert tiers.status_code == 303
        for section, data in {
            "bonuses": {"signup": "25", "birthday": "50", "birthdayPeriod": "WEEK", "referrer": "10",
                        "referee": "10", "referralMinPurchase": "5"},
            "transfers": {"enabled": "on", "maxPointsPerTransfer": "100", "maxPointsPerDay": "200"},
            "enrolment": {"enrolmentMode": "INVITE_ONLY"},
        }.items():  # fmt: skip
            answer = await admin.post(f"{PAGE}/{section}", data={"_csrf_token": token, **data})
            assert answer.status_code == 303, section
        shown = await admin.get(PAGE)
        assert 'value="Free coffee, Early sales"' in shown.text
        assert 'value="1000"' in shown.text
        rules = await _rules(town)
        assert '"INVITE_ONLY"' in rules
        bad_transfer = await admin.post(f"{PAGE}/transfers", data={"_csrf_token": token, "maxPointsPerTransfer": "100",
                                                                  "maxPointsPerDay": "50"})  # fmt: skip
        assert bad_transfer.status_code == 400
        assert 'id="f-transfers-maxPointsPerDay-error"' in bad_transfer.text
        assert await _rules(town) == rules


async def test_invite_codes_and_charities(town: Town, client: httpx.AsyncClient, redis: Redis) -> None:
    async with await signed_in(client, redis, town, StaffRole.OPERATOR_ADMIN) as admin:
        token = form_token(await admin.get(PAGE))
        bad = await admin.post(f"{PAGE}/invites", data={"_csrf_token": token, "maxUses": "0", "label": ""})
        assert bad.status_code == 400
        assert 'id="f-invites-maxUses-error"' in bad.text
        made = await admin.post(f"{PAGE}/invites", data={"_csrf_token": token, "maxUses": "5", "label": "Pilot"})
        assert made.status_code == 200
        assert "The invite code, shown only now:" in made.text
        nameless = await admin.post(f"{PAGE}/charities", data={"_csrf_token": token, "name": ""})
        assert 'id="f-charity-name-error"' in nameless.text
        added = await admin.post(f"{PAGE}/charities", data={"_csrf_token": token, "name": "Food bank",
                                                            "description": "Meals"})  # fmt: skip
        assert added.status_code == 303
        async with town.engine.connect() as c:
            charity = (await c.execute(text("SELECT id FROM charities WHERE coalition_id = :c"),
                                       {"c": town.coalition_id})).scalar_one()  # fmt: skip
        withdrawn = await admin.post(f"{PAGE}/charities/{charity}", data={"_csrf_token": token, "active": "false"})
        assert withdrawn.status_code == 303
        assert "(withdrawn)" in (await admin.get(PAGE)).text


@pytest.mark.parametrize("role", [StaffRole.OPERATOR_FINANCE, StaffRole.MANAGER])
async def test_only_the_admin_changes_rules(town: Town, client: httpx.AsyncClient, redis: Redis,
                                            role: StaffRole) -> None:  # fmt: skip
    shop, _ = await town.partner("Bakery")
    before = await _rules(town)
    async with await signed_in(client, redis, town, role, shop if role is StaffRole.MANAGER else None) as other:
        assert (await other.get(PAGE)).status_code == 403
        token = form_token(await other.get("/terms/none"))
        refused = await other.post(f"{PAGE}/enrolment", data={"_csrf_token": token, "enrolmentMode": "INVITE_ONLY"})
        assert refused.status_code == 403
    assert await _rules(town) == before
