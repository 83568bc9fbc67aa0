"""A use case that changes rules or credentials announces it once it commits,
and never when it fails."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal

import pytest
from redis.asyncio import Redis

from coalition.partners.earning.model import EarnRules
from coalition.partners.programme import set_earn_rules
from coalition.platform.auth.service import issue, revoke
from coalition.platform.auth.tokens import CredentialKind, PartnerRole
from coalition.platform.errors import DomainError
from coalition.platform.runtime.broadcasts import CREDENTIALS_REVOKED, RULES_CHANGED
from coalition.platform.runtime.unit_of_work import unit_of_work


class CountingCache:
    def __init__(self) -> None:
        self.emptied = 0

    def forget_all(self) -> None:
        self.emptied += 1


async def _heard(redis: Redis, pubsub, channel: str) -> list[str]:
    """What arrived on ``channel`` before a marker published now: Redis delivers
    one connection's messages in order, so nothing later is missed or waited for."""
    marker = f"test:marker:{uuid.uuid4().hex}"
    await pubsub.subscribe(marker)
    heard: list[str] = []
    published = False
    # The marker goes out only once Redis has confirmed the subscription to it:
    # published sooner, over the other connection, it could pass the SUBSCRIBE and be lost.
    async with asyncio.timeout(30):
        async for message in pubsub.listen():
            name = message["channel"].decode()
            if message["type"] == "subscribe" and name == marker and not published:
                await redis.publish(marker, "end")
                published = True
            elif message["type"] == "message" and name == marker:
                return heard
            elif message["type"] == "message" and name == channel:
                heard.append(message["data"].decode())
    raise AssertionError("the subscription ended")


async def _saved_then_refused(town, redis: Redis, caches, shop: uuid.UUID) -> None:
    """One use case that saves rules (and so announces them), then is refused:
    all of it is undone."""
    async with unit_of_work(town.sessions, redis, caches) as session:
        await set_earn_rules(session, town.operator, shop, EarnRules(Decimal(2)))
        await set_earn_rules(session, town.operator, shop, EarnRules(Decimal(500)))


@pytest.fixture
async def redis(settings):
    client = Redis.from_url(settings.redis_url)
    yield client
    await client.aclose()


async def test_rules_are_announced_once_after_a_commit_and_not_after_a_failure(town, redis) -> None:
    shop, _ = await town.partner()
    caches = {RULES_CHANGED: CountingCache()}
    async with redis.pubsub() as pubsub:
        await pubsub.subscribe(RULES_CHANGED)
        with pytest.raises(DomainError):
            await _saved_then_refused(town, redis, caches, shop)
        assert await _heard(redis, pubsub, RULES_CHANGED) == []
        assert caches[RULES_CHANGED].emptied == 0

        async with unit_of_work(town.sessions, redis, caches) as session:
            await set_earn_rules(session, town.operator, shop, EarnRules(Decimal(2)))
            await set_earn_rules(session, town.operator, shop, EarnRules(Decimal(3)))
        assert await _heard(redis, pubsub, RULES_CHANGED) == ["changed"]
        assert caches[RULES_CHANGED].emptied == 1


async def test_a_revoked_credential_is_announced_once_it_commits(town, redis) -> None:
    shop, _ = await town.partner()
    async with town.sessions.begin() as session:
        credential_id, _ = await issue(
            session, coalition_id=town.coalition_id, kind=CredentialKind.PARTNER, partner_id=shop, role=PartnerRole.POS
        )
    async with redis.pubsub() as pubsub:
        await pubsub.subscribe(CREDENTIALS_REVOKED)
        async with unit_of_work(town.sessions, redis) as session:
            assert not await revoke(session, town.operator, uuid.uuid4())  # nothing revoked: nothing to say
        assert await _heard(redis, pubsub, CREDENTIALS_REVOKED) == []
        async with unit_of_work(town.sessions, redis) as session:
            assert await revoke(session, town.operator, credential_id)
        assert await _heard(redis, pubsub, CREDENTIALS_REVOKED) == ["changed"]
