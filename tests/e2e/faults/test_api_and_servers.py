"""Tills keep posting, with retries under the same idempotency key, while the
API is killed, PostgreSQL restarts or drops off the network, and Redis dies.
Each test has a shop of its own on servers of the module's own.
After each: what the tills saw acknowledged is in the ledger exactly once,
nothing else is, and the books verify."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from coalition.platform.auth.service import issue, revoke
from coalition.platform.auth.tokens import CredentialKind, PartnerRole
from tests.support.fault_town import FaultTown
from tests.support.own_servers import OwnServers
from tests.support.proxy import CuttableProxy
from tests.support.served import ApiProcess
from tests.support.tills import Tills

pytestmark = pytest.mark.slow


async def _started(api: ApiProcess) -> ApiProcess:
    await asyncio.to_thread(api.start)
    return api


async def test_an_api_killed_mid_stream_loses_and_doubles_nothing(own: OwnServers, fault_town: FaultTown) -> None:
    api = await _started(ApiProcess(own.database_url, own.redis_url))
    tills = Tills(lambda: api.base, fault_town.till_key, fault_town.cards)
    try:
        posting = asyncio.create_task(tills.run_until_stopped())
        await asyncio.sleep(3)
        api.kill()
        await asyncio.sleep(1)
        await asyncio.to_thread(api.start)
        await asyncio.sleep(3)
        tills.stop()
        await posting
    finally:
        api.close()
    assert any(a.status is None for a in tills.attempts), "the kill cut no request: the test proved nothing"
    await fault_town.assert_exactly_what_tills_saw(tills)


async def test_postgres_restarted_mid_stream_the_api_recovers_alone(own: OwnServers, fault_town: FaultTown) -> None:
    api = await _started(ApiProcess(own.database_url, own.redis_url))
    tills = Tills(lambda: api.base, fault_town.till_key, fault_town.cards)
    try:
        posting = asyncio.create_task(tills.run_until_stopped())
        await asyncio.sleep(3)
        before = len(tills.acknowledged)
        await asyncio.to_thread(own.restart_postgres)
        await asyncio.sleep(4)
        tills.stop()
        await posting
        assert api.process is not None
        assert api.process.poll() is None, "the API died with the database"
    finally:
        api.close()
    assert len(tills.acknowledged) > before, "nothing was posted after the restart"
    await fault_town.assert_exactly_what_tills_saw(tills)


async def test_postgres_unreachable_for_30_seconds(own: OwnServers, fault_town: FaultTown) -> None:
    """The network to the database goes silent (nothing refused, nothing answered):
    the API says 503 on readiness, answers tills with errors rather than
    hanging, and carries on by itself when the network heals."""
    proxy = CuttableProxy(own.postgres_socket)
    await proxy.start()
    through_proxy = own.postgres_url_at(proxy.port)
    api = await _started(
        ApiProcess(through_proxy, own.redis_url, environment={"COALITION_DATABASE_ANSWER_WITHIN_SECONDS": "3"})
    )
    tills = Tills(lambda: api.base, fault_town.till_key, fault_town.cards, request_timeout=20)
    try:
        posting = asyncio.create_task(tills.run_until_stopped())
        await asyncio.sleep(3)
        proxy.cut()
        cut_at = time.monotonic()
        await asyncio.sleep(2)
        async with httpx.AsyncClient(timeout=15) as http:
            readiness = await http.get(f"{api.base}/health/ready")
        await asyncio.sleep(max(0.0, 30 - (time.monotonic() - cut_at)))
        during = [a for a in tills.attempts]
        proxy.mend()
        healed = len(tills.acknowledged)
        await asyncio.sleep(5)
        tills.stop()
        await posting
    finally:
        api.close()
        await proxy.close()
    assert readiness.status_code == 503
    assert readiness.json()["database"].startswith("unavailable")
    # Answered, not hung: every attempt during the outage got an HTTP answer before the till gave up.
    hung = [a for a in during if a.status is None]
    assert hung == [], hung[:3]
    assert any(a.status != 200 or "errors" in a.detail for a in during)
    assert len(tills.acknowledged) > healed, "nothing was posted after the network healed"
    await fault_town.assert_exactly_what_tills_saw(tills)


async def test_redis_killed_postings_go_on_and_revocations_fail_closed(own: OwnServers, fault_town: FaultTown) -> None:
    """Without Redis no revocation can be broadcast, so no API process trusts
    a credential it remembers, nor remembers one it looks up meanwhile: one
    revoked meanwhile is refused by every worker at once."""
    town = fault_town.town
    async with town.sessions.begin() as session:
        doomed_id, doomed = await issue(
            session, coalition_id=town.coalition_id, kind=CredentialKind.PARTNER, partner_id=fault_town.shop,
            role=PartnerRole.POS,
        )  # fmt: skip
    api = await _started(
        ApiProcess(own.database_url, own.redis_url, workers=2, environment={"COALITION_AUTH_CACHE_SECONDS": "300"})
    )
    tills = Tills(lambda: api.base, fault_town.till_key, fault_town.cards)
    ping = {"query": "{ __typename }"}
    try:
        async with httpx.AsyncClient(timeout=15) as http:
            for _ in range(8):  # both workers now remember the doomed key
                answer = await http.post(
                    f"{api.base}/graphql", json=ping, headers={"Authorization": f"Bearer {doomed}"}
                )
                assert answer.status_code == 200
            posting = asyncio.create_task(tills.run_until_stopped())
            await asyncio.sleep(2)
            own.kill_redis()
            killed_at = len(tills.acknowledged)
            await asyncio.sleep(2)  # each worker's subscription notices the loss
            # Still valid, and used meanwhile: a process that remembered it now would trust it after the revocation.
            for _ in range(8):
                answer = await http.post(
                    f"{api.base}/graphql", json=ping, headers={"Authorization": f"Bearer {doomed}"}
                )
                assert answer.status_code == 200
            async with town.sessions.begin() as session:
                assert await revoke(session, town.operator, doomed_id)
            refused = [
                (
                    await http.post(f"{api.base}/graphql", json=ping, headers={"Authorization": f"Bearer {doomed}"})
                ).status_code
                for _ in range(8)
            ]
            await asyncio.sleep(2)
            posted_without_redis = len(tills.acknowledged) - killed_at
            await asyncio.to_thread(own.start_redis)
            await asyncio.sleep(3)
            tills.stop()
            await posting
    finally:
        api.close()
    assert refused == [401] * 8
    assert posted_without_redis > 0, "postings stopped with Redis"
    await fault_town.assert_exactly_what_tills_saw(tills)
