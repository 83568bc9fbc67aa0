"""The operator's audit log page in process: newest first, narrowed to a kind
of action, a page at a time; operator finance reads it, shops may not."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import pytest
from redis.asyncio import Redis

from coalition.platform.runtime.settings import Settings
from coalition.platform.staff.rules import StaffRole
from coalition.settlement import service as settlement
from tests.support.operator_pages import signed_in
from tests.support.town import Town

PAGE = "/portal/operator/audit"


@pytest.fixture
async def redis(settings: Settings) -> AsyncIterator[Redis]:
    assert settings.redis_url
    connection = Redis.from_url(settings.redis_url)
    yield connection
    await connection.aclose()


async def test_the_log_is_filtered_and_paged(town: Town, client: httpx.AsyncClient, redis: Redis) -> None:
    shops = [(await town.partner(f"Shop {n}"))[0] for n in range(3)]
    async with town.sessions.begin() as session:
        for n in range(51):  # more than a page of one kind
            await settlement.set_contract(session, town.operator, shops[n % 3], fee_per_point_issued=Decimal(n),
                                          fee_percent_of_redemption=Decimal(0))  # fmt: skip
    async with await signed_in(client, redis, town, StaffRole.OPERATOR_FINANCE) as finance:
        first = await finance.get(PAGE, params={"kind": "partner."})
        assert first.status_code == 200
        assert first.text.count("<strong>partner.contract</strong>") == 50
        assert "Older changes" in first.text
        older = first.text.split("after=")[1].split('"')[0]
        second = await finance.get(f"{PAGE}?kind=partner.&after={older}")
        # The last contract, and each shop's creation and activation.
        assert second.text.count("<strong>partner.") == 51 + 3 * 2 - 50
        assert "Older changes" not in second.text
        assert "Newest changes" in second.text
        none = await finance.get(PAGE, params={"kind": "settlement."})
        assert "No changes recorded." in none.text
        odd = await finance.get(PAGE, params={"kind": "<script>", "after": "not-a-cursor"})
        assert odd.status_code == 200
        assert 'role="alert"' in odd.text
        assert "<script>" not in odd.text


@pytest.mark.parametrize("role", [StaffRole.OWNER, StaffRole.CASHIER])
async def test_shops_may_not_read_the_log(town: Town, client: httpx.AsyncClient, redis: Redis,
                                          role: StaffRole) -> None:  # fmt: skip
    shop, _ = await town.partner("Bakery")
    async with await signed_in(client, redis, town, role, shop) as staff:
        assert (await staff.get(PAGE)).status_code == 403
    async with httpx.AsyncClient(transport=client._transport, base_url=str(client.base_url)) as nobody:
        assert (await nobody.get(PAGE)).status_code == 303
