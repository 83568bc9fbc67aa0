"""The operator's partners page in process: the list, inviting a shop with
its owner, activating, suspending, terminating, fees; who may, and bad input."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import text

from coalition.platform.runtime.settings import Settings
from coalition.platform.staff import sessions as staff_sessions
from coalition.platform.staff.rules import StaffRole
from tests.support.operator_pages import signed_in
from tests.support.town import Town
from tests.support.web_sessions import form_token

PAGE = "/portal/operator/partners"


@pytest.fixture
async def redis(settings: Settings) -> AsyncIterator[Redis]:
    assert settings.redis_url
    connection = Redis.from_url(settings.redis_url)
    yield connection
    await connection.aclose()


async def _status(town: Town, partner_id: uuid.UUID) -> str:
    async with town.engine.connect() as c:
        return str((await c.execute(text("SELECT status FROM partners WHERE id = :i"), {"i": partner_id})).scalar())


async def test_the_admin_sees_every_shop_and_changes_their_state(
    town: Town, client: httpx.AsyncClient, redis: Redis
) -> None:
    bakery, _ = await town.partner("Bakery", "1.5")
    invited, _ = await town.partner("Florist", active=False)
    async with await signed_in(client, redis, town, StaffRole.OPERATOR_ADMIN) as admin:
        dutch = await admin.get(PAGE, headers={"Accept-Language": "nl"})
        assert "<h1>Partnerwinkels</h1>" in dutch.text
        page = await admin.get(PAGE)
        assert page.status_code == 200
        assert "Bakery" in page.text
        assert "Florist" in page.text
        token = form_token(page)
        activated = await admin.post(f"{PAGE}/{invited}/activate", data={"_csrf_token": token})
        assert activated.status_code == 303
        assert await _status(town, invited) == "ACTIVE"
        refused = await admin.post(f"{PAGE}/{bakery}/suspend", data={"_csrf_token": token, "reason": ""})
        assert refused.status_code == 400
        assert f'id="f-s-{bakery}-reason-error"' in refused.text
        assert await _status(town, bakery) == "ACTIVE"
        suspended = await admin.post(f"{PAGE}/{bakery}/suspend", data={"_csrf_token": token, "reason": "Unpaid"})
        assert suspended.status_code == 303
        assert await _status(town, bakery) == "SUSPENDED"
        fees = await admin.post(
            f"{PAGE}/{invited}/contract",
            data={"_csrf_token": token, "feePerPointIssued": "0,002", "feePercentOfRedemption": "2"},
        )
        assert fees.status_code == 303
        shown = await admin.get(fees.headers["location"])
        assert "The fees were saved." in shown.text
        bad_fee = await admin.post(
            f"{PAGE}/{invited}/contract",
            data={"_csrf_token": token, "feePerPointIssued": "lots", "feePercentOfRedemption": "150"},
        )
        assert bad_fee.status_code == 400
        assert f'id="f-c-{invited}-feePerPointIssued-error"' in bad_fee.text
        terminated = await admin.post(f"{PAGE}/{invited}/terminate", data={"_csrf_token": token, "reason": "Closed"})
        assert terminated.status_code == 303
        assert await _status(town, invited) == "TERMINATED"


async def test_inviting_a_shop_makes_it_and_mails_its_owner(
    town: Town, client: httpx.AsyncClient, redis: Redis
) -> None:
    async with await signed_in(client, redis, town, StaffRole.OPERATOR_ADMIN) as admin:
        token = form_token(await admin.get(PAGE))
        bad = await admin.post(
            PAGE, data={"_csrf_token": token, "name": "Butcher", "rate": "x", "owner": "", "email": "nope",
                        "language": "nl"},
        )  # fmt: skip
        assert bad.status_code == 400
        for name in ("rate", "owner", "email"):
            assert f'id="f-invite-{name}-error"' in bad.text
        async with town.engine.connect() as c:
            count = "SELECT count(*) FROM partners WHERE coalition_id = :c"
            assert (await c.execute(text(count), {"c": town.coalition_id})).scalar() == 0
        made = await admin.post(
            PAGE, data={"_csrf_token": token, "name": "Butcher", "rate": "2", "owner": "Bea",
                        "email": "bea@butcher.example", "language": "nl"},
        )  # fmt: skip
        assert made.status_code == 303
    async with town.engine.connect() as c:
        row = (
            await c.execute(
                text(
                    "SELECT p.status, g.role FROM partners p JOIN staff_roles g ON g.partner_id = p.id"
                    " WHERE p.coalition_id = :c"
                ),
                {"c": town.coalition_id},
            )
        ).one()
        assert tuple(row) == ("INVITED", "OWNER")
        mails = "SELECT count(*) FROM outbox_mails WHERE recipient = 'bea@butcher.example'"
        assert (await c.execute(text(mails))).scalar() == 1


@pytest.mark.parametrize("role", [StaffRole.OPERATOR_FINANCE, StaffRole.OWNER, StaffRole.CASHIER])
async def test_other_roles_may_not_open_or_post(
    town: Town, client: httpx.AsyncClient, redis: Redis, role: StaffRole
) -> None:
    shop, _ = await town.partner("Bakery")
    async with await signed_in(client, redis, town, role, shop if role != StaffRole.OPERATOR_FINANCE else None) as b:
        assert (await b.get(PAGE)).status_code == 403
        # The form token of a page this person may open.
        token = form_token(await b.get(f"/terms/none-{uuid.uuid4().hex[:6]}"))
        refused = await b.post(f"{PAGE}/{shop}/suspend", data={"_csrf_token": token, "reason": "x"})
        assert refused.status_code == 403
    assert await _status(town, shop) == "ACTIVE"


async def test_no_token_or_no_session_changes_nothing(town: Town, client: httpx.AsyncClient, redis: Redis) -> None:
    shop, _ = await town.partner("Bakery")
    async with await signed_in(client, redis, town, StaffRole.OPERATOR_ADMIN) as admin:
        assert (await admin.post(f"{PAGE}/{shop}/suspend", data={"reason": "x"})).status_code == 403
        token = form_token(await admin.get(PAGE))
        await staff_sessions.close(redis, admin.cookies[staff_sessions.COOKIE_NAME])  # as when it expires
        expired = await admin.post(f"{PAGE}/{shop}/suspend", data={"_csrf_token": token, "reason": "x"})
        assert expired.status_code == 303
        assert expired.headers["location"].startswith("/portal/sign-in?next=")
    assert await _status(town, shop) == "ACTIVE"
