"""The operator's coalition-wide insights page in process: admin and finance
read the coalition's figures (or one shop's), the date-range form's mistakes
are shown next to their fields, and shop staff may not open it."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from redis.asyncio import Redis

from coalition.insights.rollup import roll_up
from coalition.platform.runtime.settings import Settings
from coalition.platform.staff.rules import StaffRole
from tests.support.operator_pages import signed_in
from tests.support.town import Town

PAGE = "/portal/operator/insights"
_LINK = re.compile(r'href="(/portal/shop/dashboard/export/[^"]+)"')


@pytest.fixture
async def redis(settings: Settings) -> AsyncIterator[Redis]:
    assert settings.redis_url
    connection = Redis.from_url(settings.redis_url)
    yield connection
    await connection.aclose()


async def test_admin_and_finance_read_the_coalition_and_each_shop(town: Town, client: httpx.AsyncClient,
                                                                  redis: Redis) -> None:  # fmt: skip
    bakery, _ = await town.partner("Bakery")
    butcher, _ = await town.partner("Butcher")
    _, card = await town.member(bakery)
    await town.earn(bakery, card, "100")
    await town.redeem(butcher, card, 40)
    await roll_up(town.engine, town.coalition_id)  # as the worker does
    for role in (StaffRole.OPERATOR_ADMIN, StaffRole.OPERATOR_FINANCE):
        async with await signed_in(client, redis, town, role) as operator:
            whole = await operator.get(PAGE)
            assert whole.status_code == 200, whole.text
            text = whole.text
            assert "The whole coalition from" in text
            assert "Points redeemed: 40" in text
            assert "Points issued: 0<" not in text
            assert text.count("<polyline") == 3  # the revenue trend, then issued and redeemed on one scale
            assert "Members coming back, by the month they first bought" in text
            assert 'class="dashboard-heatmap"' in text
            assert f'<option value="{bakery}">Bakery</option>' in text
            links = _LINK.findall(text)
            assert links
            assert not any("cross-shop" in link or "partnerId" in link for link in links)
            csv = await operator.get(links[0].replace("&amp;", "&"))
            assert csv.status_code == 200
            assert csv.headers["content-type"].startswith("text/csv")

            shop = await operator.get(PAGE, params={"partnerId": str(butcher)})
            assert shop.status_code == 200
            assert "Butcher from" in shop.text
            assert f'<option value="{butcher}" selected>Butcher</option>' in shop.text
            assert "Points issued: 0<" in shop.text  # the butcher only took points
            assert "Points redeemed: 40" in shop.text
            assert any("cross-shop" in link and str(butcher) in link for link in _LINK.findall(shop.text))


@pytest.mark.parametrize(
    ("asked", "field", "message"),
    [
        ({"from": "2026-13-01"}, "from", "Enter a date as YYYY-MM-DD."),
        ({"to": "yesterday"}, "to", "Enter a date as YYYY-MM-DD."),
        ({"from": "2026-03-02", "to": "2026-03-01"}, "from", "The first day must not be after the last."),
        ({"from": "2024-01-01", "to": "2026-01-01"}, "to", "Choose at most 366 days."),
        ({"partnerId": "not-a-shop"}, "partnerId", "Choose a shop from the list."),
        ({"partnerId": str(uuid.uuid4())}, "partnerId", "Choose a shop from the list."),
    ],
)
async def test_bad_input_is_shown_next_to_its_field(town: Town, client: httpx.AsyncClient, redis: Redis,
                                                    asked: dict[str, str], field: str, message: str) -> None:  # fmt: skip
    await town.partner("Bakery")
    async with await signed_in(client, redis, town, StaffRole.OPERATOR_FINANCE) as finance:
        page = await finance.get(PAGE, params=asked)
    assert page.status_code == 200
    assert f'<p class="error" id="f-insights-{field}-error">{message}</p>' in page.text
    assert f'aria-describedby="f-insights-{field}-error"' in page.text or (
        f'aria-describedby="f-insights-{field}-hint f-insights-{field}-error"' in page.text
    )
    assert page.text.count('class="error"') == 1
    assert "The whole coalition from" in page.text  # the default period and scope, shown instead


@pytest.mark.parametrize("role", [StaffRole.OWNER, StaffRole.MANAGER, StaffRole.CASHIER])
async def test_shop_staff_may_not_open_it(town: Town, client: httpx.AsyncClient, redis: Redis,
                                          role: StaffRole) -> None:  # fmt: skip
    shop, _ = await town.partner("Bakery")
    async with await signed_in(client, redis, town, role, shop) as staff:
        assert (await staff.get(PAGE)).status_code == 403
    async with httpx.AsyncClient(transport=client._transport, base_url=str(client.base_url)) as nobody:
        assert (await nobody.get(PAGE)).status_code == 303


async def test_the_shop_dashboard_draws_the_same_pieces(town: Town, client: httpx.AsyncClient, redis: Redis) -> None:
    bakery, _ = await town.partner("Bakery")
    _, card = await town.member(bakery)
    await town.earn(bakery, card, "100")
    await roll_up(town.engine, town.coalition_id)
    async with await signed_in(client, redis, town, StaffRole.OWNER, bakery) as owner:
        page = await owner.get("/portal/shop/dashboard")
    assert page.status_code == 200, page.text
    assert 'class="dashboard-kpis"' in page.text
    assert 'class="dashboard-heatmap"' in page.text
    assert page.text.count("<polyline") == 1
    assert "kpis.csv" in page.text
