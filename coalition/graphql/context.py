"""Per-request context: who is calling, the services, one DataLoader per relation."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar
from zoneinfo import ZoneInfo

import msgspec
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, async_sessionmaker
from strawberry.dataloader import DataLoader
from strawberry.litestar import BaseContext

from coalition.partners import reads as partner_reads
from coalition.partners.earning.till import TillSetups
from coalition.platform.auth.service import Authenticator, Principal
from coalition.platform.coalitions import reads as coalition_reads
from coalition.platform.coalitions.reads import CoalitionRecord
from coalition.platform.coalitions.service import CoalitionDirectory
from coalition.platform.ledger import reads as ledger_reads
from coalition.platform.ledger.service import LedgerService
from coalition.platform.members import reads as member_reads
from coalition.platform.members.reads import MemberRecord
from coalition.platform.notices import reads as notice_reads
from coalition.platform.programme import reads as programme_reads
from coalition.platform.programme.reads import Activity
from coalition.platform.programme.service import CoalitionRulesCache
from coalition.platform.runtime.broadcasts import Forgetful
from coalition.platform.runtime.database import AsyncSession
from coalition.platform.runtime.unit_of_work import unit_of_work
from coalition.platform.staff.service import Mailing
from coalition.settlement import reads as settlement_reads

K = TypeVar("K")
V = TypeVar("V")

Fetch = Callable[[AsyncConnection, list[K]], Awaitable[dict[K, V]]]


@dataclass
class Services:
    """Built once per application, shared by every request."""

    engine: AsyncEngine
    # The same pool without BEGIN/ROLLBACK: a DataLoader's one statement
    # needs no transaction around it, and that saves two round trips.
    reads: AsyncEngine
    redis: Redis
    sessions: async_sessionmaker[AsyncSession]
    authenticator: Authenticator
    ledger: LedgerService
    till_setups: TillSetups
    coalitions: CoalitionDirectory
    coalition_rules: CoalitionRulesCache
    # Where links in mails point and who mails come from (invitations).
    mailing: Mailing = field(default_factory=lambda: Mailing("http://127.0.0.1:8000", "coalition@localhost"))
    # Broadcast channel -> this process's cache it makes stale: a committed
    # change empties them here at once, other processes on the broadcast.
    local_caches: Mapping[str, Forgetful] = field(default_factory=dict)


def _loader(engine: AsyncEngine, fetch: Fetch[K, V]) -> DataLoader[K, V | None]:
    async def load(keys: Sequence[K]) -> list[V | None]:
        async with engine.connect() as connection:
            found = await fetch(connection, list(keys))
        return [found.get(key) for key in keys]

    return DataLoader(load_fn=load)


class _Loader(Generic[K, V]):
    """A DataLoader made on a request's first use of it: most requests (a
    till's earn, a wallet lookup) need one or two of the many relations."""

    def __init__(self, fetch: Fetch[K, V]) -> None:
        self._fetch = fetch

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    def __get__(self, context: Context, owner: type | None = None) -> DataLoader[K, V | None]:
        return context.loader(self._name, self._fetch)


async def _expiring_soon(c: AsyncConnection, ids: list[uuid.UUID]) -> dict[uuid.UUID, list[tuple[int, datetime]]]:
    return await ledger_reads.expiring_soon(c, ids)


async def _pending(c: AsyncConnection, ids: list[uuid.UUID]) -> dict[uuid.UUID, list[tuple[int, datetime]]]:
    return await ledger_reads.pending_points(c, ids)


class Context(BaseContext, kw_only=True):
    services: Services
    principal: Principal
    loaders: dict[str, DataLoader[Any, Any]] = msgspec.field(default_factory=dict)

    partners = _Loader(coalition_reads.partners_by_id)
    members = _Loader(member_reads.members_by_id)
    transactions = _Loader(ledger_reads.transactions_by_id)
    wallets = _Loader(ledger_reads.wallet_figures)
    expiring = _Loader(_expiring_soon)
    pending_lots = _Loader(_pending)
    rewards = _Loader(partner_reads.rewards_by_id)
    charity_totals = _Loader(programme_reads.charity_totals)
    member_coupons = _Loader(partner_reads.coupons_of_members)
    member_stamps = _Loader(partner_reads.stamps_of_members)
    transaction_coupons = _Loader(partner_reads.coupons_of_transactions)
    stamp_cards = _Loader(partner_reads.stamp_cards_of_coalitions)
    run_lines = _Loader(settlement_reads.lines_of_runs)
    run_obligations = _Loader(settlement_reads.obligations_of_runs)
    outstanding = _Loader(settlement_reads.outstanding_points)
    member_notices = _Loader(notice_reads.notices_of_members)

    @classmethod
    def create(cls, services: Services, principal: Principal) -> Context:
        return cls(services=services, principal=principal)

    @property
    def activities(self) -> DataLoader[uuid.UUID, Activity | None]:
        """Members' activity over the caller's coalition's tier window."""
        services, coalition_id = self.services, self.principal.coalition_id

        async def fetch(c: AsyncConnection, ids: list[uuid.UUID]) -> dict[uuid.UUID, Activity]:
            rules = await services.coalition_rules.get(coalition_id)
            coalition = await services.coalitions.get(coalition_id)
            today = datetime.now(ZoneInfo(coalition.timezone)).date()
            return await programme_reads.activities_in_tier_window(c, ids, rules.tiers, today)

        return self.loader("activities", fetch)

    @property
    def members_by_card(self) -> DataLoader[str, MemberRecord | None]:
        """Members of the caller's coalition by card number."""
        coalition_id = self.principal.coalition_id

        async def fetch(c: AsyncConnection, cards: list[str]) -> dict[str, MemberRecord]:
            return await member_reads.members_by_card(c, coalition_id, cards)

        return self.loader("members_by_card", fetch)

    def loader(self, name: str, fetch: Fetch[K, V]) -> DataLoader[K, V | None]:
        """This request's DataLoader called ``name``, made on first use."""
        loader = self.loaders.get(name)
        if loader is None:
            loader = self.loaders[name] = _loader(self.services.reads, fetch)
        return loader

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[AsyncSession]:
        """A mutation's one transaction: committed at the end, and then what
        it changed that processes keep in memory is forgotten here and broadcast."""
        services = self.services
        async with unit_of_work(services.sessions, services.redis, services.local_caches) as session:
            yield session

    async def coalition(self) -> CoalitionRecord:
        """The caller's coalition."""
        return await self.services.coalitions.get(self.principal.coalition_id)
