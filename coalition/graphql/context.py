"""Per-request context: who is calling, the services, one DataLoader per relation."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, async_sessionmaker
from strawberry.dataloader import DataLoader
from strawberry.litestar import BaseContext

from coalition.partners import repository as partner_programmes
from coalition.partners.repository import CouponRecord, RewardRecord, StampCardRecord
from coalition.partners.service import TillSetups
from coalition.platform.auth.service import Authenticator, Principal
from coalition.platform.coalitions import repository as coalitions
from coalition.platform.coalitions.repository import CoalitionRecord, PartnerRecord
from coalition.platform.coalitions.service import CoalitionDirectory
from coalition.platform.database import AsyncSession
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
from coalition.settlement import repository as settlement
from coalition.settlement.repository import LineRecord, ObligationRecord

K = TypeVar("K")
V = TypeVar("V")

EXPIRING_SOON = timedelta(days=30)


@dataclass
class Services:
    """Built once per application, shared by every request."""

    engine: AsyncEngine
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
    return {r.id: r for r in await partner_programmes.rewards_by_ids(c, ids)}


async def _charity_totals(c: AsyncConnection, ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    return await programme.charity_totals(c, ids)


async def _member_coupons(c: AsyncConnection, ids: list[uuid.UUID]) -> dict[uuid.UUID, list[CouponRecord]]:
    return await partner_programmes.member_coupons(c, ids)


async def _member_stamps(c: AsyncConnection, ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[uuid.UUID, int]]:
    return await partner_programmes.member_stamps(c, ids)


async def _transaction_coupons(c: AsyncConnection, ids: list[uuid.UUID]) -> dict[uuid.UUID, list[CouponRecord]]:
    return await partner_programmes.coupons_of_transactions(c, ids)


async def _stamp_cards(c: AsyncConnection, coalition_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[StampCardRecord]]:
    return {
        coalition_id: await partner_programmes.coalition_stamp_cards(c, coalition_id) for coalition_id in coalition_ids
    }


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
    partners: DataLoader[uuid.UUID, PartnerRecord | None]
    members: DataLoader[uuid.UUID, MemberRecord | None]
    transactions: DataLoader[uuid.UUID, TransactionRecord | None]
    wallets: DataLoader[uuid.UUID, tuple[int, int, int] | None]
    expiring: DataLoader[uuid.UUID, list[tuple[int, datetime]] | None]
    rewards: DataLoader[uuid.UUID, RewardRecord | None]
    charity_totals: DataLoader[uuid.UUID, int | None]
    member_coupons: DataLoader[uuid.UUID, list[CouponRecord] | None]
    member_stamps: DataLoader[uuid.UUID, dict[uuid.UUID, int] | None]
    transaction_coupons: DataLoader[uuid.UUID, list[CouponRecord] | None]
    stamp_cards: DataLoader[uuid.UUID, list[StampCardRecord] | None]
    activities: DataLoader[uuid.UUID, Activity | None]
    run_lines: DataLoader[uuid.UUID, list[LineRecord] | None]
    run_obligations: DataLoader[uuid.UUID, list[ObligationRecord] | None]
    outstanding: DataLoader[uuid.UUID, int | None]
    member_notices: DataLoader[uuid.UUID, list[NoticeRecord] | None]

    @classmethod
    def create(cls, services: Services, principal: Principal) -> Context:
        engine = services.engine
        return cls(
            services=services,
            principal=principal,
            partners=_loader(engine, _partners),
            members=_loader(engine, _members),
            transactions=_loader(engine, _transactions),
            wallets=_loader(engine, _wallets),
            expiring=_loader(engine, _expiring),
            rewards=_loader(engine, _rewards),
            charity_totals=_loader(engine, _charity_totals),
            member_coupons=_loader(engine, _member_coupons),
            member_stamps=_loader(engine, _member_stamps),
            transaction_coupons=_loader(engine, _transaction_coupons),
            stamp_cards=_loader(engine, _stamp_cards),
            activities=_loader(engine, _activities(services, principal.coalition_id)),
            run_lines=_loader(engine, _run_lines),
            run_obligations=_loader(engine, _run_obligations),
            outstanding=_loader(engine, _outstanding),
            member_notices=_loader(engine, _member_notices),
        )

    async def coalition(self) -> CoalitionRecord:
        """The caller's coalition."""
        return await self.services.coalitions.get(self.principal.coalition_id)
