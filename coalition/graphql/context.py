"""Per-request context: who is calling, the services, one DataLoader per relation."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar
from zoneinfo import ZoneInfo

import msgspec
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, async_sessionmaker
from strawberry.dataloader import DataLoader
from strawberry.litestar import BaseContext

from coalition.partners.earning.till import TillSetups
from coalition.partners.repositories import programme as partner_programmes
from coalition.partners.repositories import rewards as reward_repository
from coalition.partners.repositories.programme import StampCardRecord
from coalition.partners.repositories.rewards import CouponRecord, RewardRecord
from coalition.platform.auth.service import Authenticator, Principal
from coalition.platform.coalitions import repository as coalitions
from coalition.platform.coalitions.repository import CoalitionRecord, PartnerRecord
from coalition.platform.coalitions.service import CoalitionDirectory
from coalition.platform.ledger import repository as ledger
from coalition.platform.ledger.repository import TransactionRecord
from coalition.platform.ledger.service import LedgerService
from coalition.platform.members import repository as members
from coalition.platform.members.repository import MemberRecord
from coalition.platform.notices import repository as notices
from coalition.platform.notices.repository import NoticeRecord
from coalition.platform.programme import repository as programme
from coalition.platform.programme.repository import Activity
from coalition.platform.programme.service import CoalitionRulesCache
from coalition.platform.runtime.database import AsyncSession
from coalition.settlement import repository as settlement
from coalition.settlement.repository import LineRecord, ObligationRecord

K = TypeVar("K")
V = TypeVar("V")

EXPIRING_SOON = timedelta(days=30)


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


def _loader(
    engine: AsyncEngine,
    fetch: Callable[[AsyncConnection, list[K]], Awaitable[dict[K, V]]],
) -> DataLoader[K, V | None]:
    async def load(keys: Sequence[K]) -> list[V | None]:
        async with engine.connect() as connection:
            found = await fetch(connection, list(keys))
        return [found.get(key) for key in keys]

    return DataLoader(load_fn=load)


class _Loader(Generic[K, V]):
    """A DataLoader made on a request's first use of it: most requests (a
    till's earn, a wallet lookup) need one or two of the many relations."""

    def __init__(self, fetch: Callable[[AsyncConnection, list[K]], Awaitable[dict[K, V]]]) -> None:
        self._fetch = fetch

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    def __get__(self, context: Context, owner: type | None = None) -> DataLoader[K, V | None]:
        return context.loader(self._name, self._fetch)


async def _partners(c: AsyncConnection, ids: list[uuid.UUID]) -> dict[uuid.UUID, PartnerRecord]:
    return {p.id: p for p in await coalitions.partners_by_ids(c, ids)}


async def _members(c: AsyncConnection, ids: list[uuid.UUID]) -> dict[uuid.UUID, MemberRecord]:
    return {m.id: m for m in await members.members_by_ids(c, ids)}


async def _transactions(c: AsyncConnection, ids: list[uuid.UUID]) -> dict[uuid.UUID, TransactionRecord]:
    return {t.id: t for t in await ledger.transactions_by_ids(c, ids)}


async def _wallets(c: AsyncConnection, ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[int, int, int]]:
    return await ledger.wallet_figures(c, ids)


async def _expiring(c: AsyncConnection, ids: list[uuid.UUID]) -> dict[uuid.UUID, list[tuple[int, datetime]]]:
    now = datetime.now(UTC)
    return await ledger.expiring_lots(c, ids, now, now + EXPIRING_SOON)


async def _rewards(c: AsyncConnection, ids: list[uuid.UUID]) -> dict[uuid.UUID, RewardRecord]:
    return {r.id: r for r in await reward_repository.rewards_by_ids(c, ids)}


async def _charity_totals(c: AsyncConnection, ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    return await programme.charity_totals(c, ids)


async def _member_coupons(c: AsyncConnection, ids: list[uuid.UUID]) -> dict[uuid.UUID, list[CouponRecord]]:
    return await reward_repository.member_coupons(c, ids)


async def _member_stamps(c: AsyncConnection, ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[uuid.UUID, int]]:
    return await partner_programmes.member_stamps(c, ids)


async def _transaction_coupons(c: AsyncConnection, ids: list[uuid.UUID]) -> dict[uuid.UUID, list[CouponRecord]]:
    return await reward_repository.coupons_of_transactions(c, ids)


async def _stamp_cards(c: AsyncConnection, coalition_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[StampCardRecord]]:
    return {
        coalition_id: await partner_programmes.coalition_stamp_cards(c, coalition_id) for coalition_id in coalition_ids
    }


def _members_by_card(
    coalition_id: uuid.UUID,
) -> Callable[[AsyncConnection, list[str]], Awaitable[dict[str, MemberRecord]]]:
    async def fetch(c: AsyncConnection, cards: list[str]) -> dict[str, MemberRecord]:
        return {m.card_number: m for m in await members.members_by_cards(c, coalition_id, cards)}

    return fetch


def _activities(
    services: Services, coalition_id: uuid.UUID
) -> Callable[[AsyncConnection, list[uuid.UUID]], Awaitable[dict[uuid.UUID, Activity]]]:
    """Members' activity over the caller's coalition's tier window."""

    async def fetch(c: AsyncConnection, ids: list[uuid.UUID]) -> dict[uuid.UUID, Activity]:
        rules = await services.coalition_rules.get(coalition_id)
        coalition = await services.coalitions.get(coalition_id)
        today = datetime.now(ZoneInfo(coalition.timezone)).date()
        return await programme.activities(c, ids, today - timedelta(days=rules.tiers.window_days))

    return fetch


async def _run_lines(c: AsyncConnection, ids: list[uuid.UUID]) -> dict[uuid.UUID, list[LineRecord]]:
    return await settlement.lines_of(c, ids)


async def _run_obligations(c: AsyncConnection, ids: list[uuid.UUID]) -> dict[uuid.UUID, list[ObligationRecord]]:
    return await settlement.obligations_of(c, ids)


async def _member_notices(c: AsyncConnection, ids: list[uuid.UUID]) -> dict[uuid.UUID, list[NoticeRecord]]:
    return await notices.of_members(c, ids)


async def _outstanding(c: AsyncConnection, ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    return await settlement.outstanding_points(c, ids)


class Context(BaseContext, kw_only=True):
    services: Services
    principal: Principal
    loaders: dict[str, DataLoader[Any, Any]] = msgspec.field(default_factory=dict)

    partners = _Loader(_partners)
    members = _Loader(_members)
    transactions = _Loader(_transactions)
    wallets = _Loader(_wallets)
    expiring = _Loader(_expiring)
    rewards = _Loader(_rewards)
    charity_totals = _Loader(_charity_totals)
    member_coupons = _Loader(_member_coupons)
    member_stamps = _Loader(_member_stamps)
    transaction_coupons = _Loader(_transaction_coupons)
    stamp_cards = _Loader(_stamp_cards)
    run_lines = _Loader(_run_lines)
    run_obligations = _Loader(_run_obligations)
    outstanding = _Loader(_outstanding)
    member_notices = _Loader(_member_notices)

    @classmethod
    def create(cls, services: Services, principal: Principal) -> Context:
        return cls(services=services, principal=principal)

    @property
    def activities(self) -> DataLoader[uuid.UUID, Activity | None]:
        """Members' activity over the caller's coalition's tier window."""
        return self.loader("activities", _activities(self.services, self.principal.coalition_id))

    @property
    def members_by_card(self) -> DataLoader[str, MemberRecord | None]:
        """Members of the caller's coalition by card number."""
        return self.loader("members_by_card", _members_by_card(self.principal.coalition_id))

    def loader(
        self, name: str, fetch: Callable[[AsyncConnection, list[K]], Awaitable[dict[K, V]]]
    ) -> DataLoader[K, V | None]:
        """This request's DataLoader called ``name``, made on first use."""
        loader = self.loaders.get(name)
        if loader is None:
            loader = self.loaders[name] = _loader(self.services.reads, fetch)
        return loader

    async def coalition(self) -> CoalitionRecord:
        """The caller's coalition."""
        return await self.services.coalitions.get(self.principal.coalition_id)
