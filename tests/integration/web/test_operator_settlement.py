"""The operator's settlement page in process: days and their runs, who owes
whom, approving and paying a day, a payout period's SEPA file; operator
finance may, shops may not; bad input changes nothing."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import text

from coalition.graphql.schema import create_schema
from coalition.platform.runtime.settings import Settings
from coalition.platform.staff.rules import Grant, StaffRole
from coalition.platform.staff.service import principal_for
from coalition.web.documents import PageData
from tests.support.operator_pages import B_IBAN, settled_day, signed_in
from tests.support.time_passing import business_date_now
from tests.support.town import Town
from tests.support.web_sessions import form_token

PAGE = "/portal/operator/settlement"


@pytest.fixture
async def redis(settings: Settings) -> AsyncIterator[Redis]:
    assert settings.redis_url
    connection = Redis.from_url(settings.redis_url)
    yield connection
    await connection.aclose()


async def _status(town: Town) -> str | None:
    async with town.engine.connect() as c:
        found = await c.execute(text("SELECT status FROM settlement_runs WHERE coalition_id = :c"),
                                {"c": town.coalition_id})  # fmt: skip
        return found.scalar()


@pytest.mark.parametrize("role", [StaffRole.OPERATOR_FINANCE, StaffRole.OPERATOR_ADMIN])
async def test_a_day_is_approved_paid_and_paid_out(
    town: Town, client: httpx.AsyncClient, redis: Redis, role: StaffRole
) -> None:
    day = (await settled_day(town)).isoformat()
    async with await signed_in(client, redis, town, role) as operator:
        listed = await operator.get(PAGE)
        assert listed.status_code == 200
        assert f"?day={day}" in listed.text
        page = await operator.get(PAGE, params={"day": day})
        assert "Settled, waiting for approval" in page.text
        assert "A owes B €0.40" in page.text
        token = form_token(page)
        approved = await operator.post(f"{PAGE}/days/approve", data={"_csrf_token": token, "day": day})
        assert approved.status_code == 303
        assert await _status(town) == "APPROVED"
        shown = await operator.get(approved.headers["location"])
        assert "The day is approved: its figures are final." in shown.text
        made = await operator.post(
            f"{PAGE}/payout-file", data={"_csrf_token": token, "start": day, "end": day, "execution": day}
        )
        assert made.status_code == 303
        sepa = await operator.get(made.headers["location"])
        assert sepa.status_code == 200
        assert f"<IBAN>{B_IBAN}</IBAN>".encode() in sepa.content
        paid = await operator.post(f"{PAGE}/days/paid", data={"_csrf_token": token, "day": day})
        assert paid.status_code == 303
        assert await _status(town) == "PAID"


async def test_bad_dates_get_a_message_next_to_the_field_and_change_nothing(
    town: Town, client: httpx.AsyncClient, redis: Redis
) -> None:
    day = (await settled_day(town)).isoformat()
    async with await signed_in(client, redis, town, StaffRole.OPERATOR_FINANCE) as finance:
        token = form_token(await finance.get(PAGE))
        bad = await finance.post(f"{PAGE}/days/approve", data={"_csrf_token": token, "day": "31/12"})
        assert bad.status_code == 400
        assert 'role="alert"' in bad.text
        early = await finance.post(f"{PAGE}/days/paid", data={"_csrf_token": token, "day": day})
        assert early.status_code == 400  # not approved yet: refused, and said so
        assert 'role="alert"' in early.text
        unknown = await finance.post(f"{PAGE}/days/run", data={"_csrf_token": token, "day": "tomorrow"})
        assert unknown.status_code == 400
        assert 'id="f-run-day-error"' in unknown.text
        future = await finance.post(f"{PAGE}/days/run", data={"_csrf_token": token, "day": "2999-01-01"})
        assert future.status_code == 400
        assert 'id="f-run-day-error"' in future.text
        backwards = await finance.post(
            f"{PAGE}/payout-file",
            data={"_csrf_token": token, "start": "2026-02-01", "end": "2026-01-01", "execution": "x"},
        )
        assert backwards.status_code == 400
        assert 'id="f-payout-execution-error"' in backwards.text
        period = await finance.get(PAGE, params={"start": "2026-02-01", "end": "2026-01-01"})
        assert 'id="f-period-end-error"' in period.text
    assert await _status(town) == "COMPUTED"


@pytest.mark.parametrize("role", [StaffRole.OWNER, StaffRole.MANAGER, StaffRole.CASHIER])
async def test_shops_may_not_see_or_approve(town: Town, client: httpx.AsyncClient, redis: Redis,
                                            role: StaffRole) -> None:  # fmt: skip
    day = (await settled_day(town)).isoformat()
    shop, _ = await town.partner("C")
    async with await signed_in(client, redis, town, role, shop) as staff:
        assert (await staff.get(PAGE)).status_code == 403
        token = form_token(await staff.get("/terms/none"))
        assert (await staff.post(f"{PAGE}/days/approve", data={"_csrf_token": token, "day": day})).status_code == 403
    assert await _status(town) == "COMPUTED"


async def test_without_a_token_or_a_session_nothing_is_approved(
    town: Town, client: httpx.AsyncClient, redis: Redis
) -> None:
    day = (await settled_day(town)).isoformat()
    async with await signed_in(client, redis, town, StaffRole.OPERATOR_FINANCE) as finance:
        assert (await finance.post(f"{PAGE}/days/approve", data={"day": day})).status_code == 403
        finance.cookies.clear()
        token = form_token(await finance.get("/terms/none"))
        gone = await finance.post(f"{PAGE}/days/approve", data={"_csrf_token": token, "day": day})
        assert gone.status_code == 303
        assert gone.headers["location"].startswith("/portal/sign-in")
    assert await _status(town) == "COMPUTED"


async def test_finance_staff_settle_days_through_the_api_but_change_nothing_else(
    town: Town, client: httpx.AsyncClient
) -> None:
    services = client._transport.app.state.services  # type: ignore[attr-defined]
    pages = PageData(create_schema())
    finance = principal_for(uuid.uuid4(), town.coalition_id, Grant(StaffRole.OPERATOR_FINANCE))
    shop, _ = await town.partner("Bakery")
    suspend = await pages.fetch(services, finance, "operator/partner_suspend", {"id": str(shop), "reason": "x"})
    assert suspend["suspendPartner"]["errors"][0]["code"] == "FORBIDDEN"
    fees = {"input": {"partnerId": str(shop), "feePerPointIssued": "1", "feePercentOfRedemption": "0"}}
    assert (await pages.fetch(services, finance, "operator/partner_contract", fees))["setPartnerContract"]["errors"]
    day = (await business_date_now(town)).isoformat()
    settled = await pages.fetch(services, finance, "operator/settlement_run", {"day": day})
    assert settled["runSettlement"] == {"run": {"status": "PROVISIONAL"}, "errors": []}
