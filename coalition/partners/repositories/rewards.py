"""Queries for rewards and coupons."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, select, text, update

from coalition.partners.tables import (
    coupons,
    rewards,
)
from coalition.platform.runtime.database import Executor

# ---------- rewards and coupons ----------


@dataclass(frozen=True)
class RewardRecord:
    id: uuid.UUID
    partner_id: uuid.UUID
    name: str
    kind: str
    points_cost: int | None
    value: Decimal | None
    valid_days: int
    active: bool


def _reward(row: Row[Any]) -> RewardRecord:
    return RewardRecord(**{k: row._mapping[k] for k in RewardRecord.__dataclass_fields__})


async def insert_reward(connection: Executor, **values: Any) -> RewardRecord:
    return _reward((await connection.execute(rewards.insert().values(**values).returning(rewards))).one())


async def update_reward(connection: Executor, reward_id: uuid.UUID, **values: Any) -> RewardRecord | None:
    row = (
        await connection.execute(update(rewards).where(rewards.c.id == reward_id).values(**values).returning(rewards))
    ).first()
    return None if row is None else _reward(row)


async def rewards_by_ids(connection: Executor, ids: list[uuid.UUID]) -> list[RewardRecord]:
    return [_reward(row) for row in await connection.execute(select(rewards).where(rewards.c.id.in_(ids)))]


async def reward_list(
    connection: Executor, coalition_id: uuid.UUID, partner_id: uuid.UUID | None, active_only: bool
) -> list[RewardRecord]:
    query = text(
        "SELECT r.* FROM rewards r JOIN partners p ON p.id = r.partner_id"
        " WHERE p.coalition_id = :coalition AND (CAST(:partner AS uuid) IS NULL OR r.partner_id = :partner)"
        " AND (NOT :active_only OR (r.active AND p.status = 'ACTIVE'))"
        " ORDER BY r.points_cost NULLS LAST, r.name"
    )
    rows = await connection.execute(
        query, {"coalition": coalition_id, "partner": partner_id, "active_only": active_only}
    )
    return [_reward(row) for row in rows]


@dataclass(frozen=True)
class CouponRecord:
    id: uuid.UUID
    coalition_id: uuid.UUID
    member_id: uuid.UUID
    partner_id: uuid.UUID
    reward_id: uuid.UUID
    code: str
    source: str
    status: str
    expires_at: datetime
    issued_at: datetime
    transaction_id: uuid.UUID | None
    used_at: datetime | None


def _coupon(row: Row[Any]) -> CouponRecord:
    return CouponRecord(**{k: row._mapping[k] for k in CouponRecord.__dataclass_fields__})


async def insert_coupon(connection: Executor, **values: Any) -> CouponRecord:
    return _coupon((await connection.execute(coupons.insert().values(**values).returning(coupons))).one())


async def coupons_of_transaction(connection: Executor, transaction_id: uuid.UUID) -> list[CouponRecord]:
    rows = await connection.execute(
        select(coupons).where(coupons.c.transaction_id == transaction_id).order_by(coupons.c.code)
    )
    return [_coupon(row) for row in rows]


async def coupons_of_transactions(
    connection: Executor, transaction_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[CouponRecord]]:
    found: dict[uuid.UUID, list[CouponRecord]] = {t: [] for t in transaction_ids}
    rows = await connection.execute(
        select(coupons).where(coupons.c.transaction_id.in_(transaction_ids)).order_by(coupons.c.code)
    )
    for row in rows:
        found[row.transaction_id].append(_coupon(row))
    return found


async def coupon_for_update(connection: Executor, coalition_id: uuid.UUID, code: str) -> CouponRecord | None:
    row = (
        await connection.execute(
            select(coupons).where(coupons.c.coalition_id == coalition_id, coupons.c.code == code).with_for_update()
        )
    ).first()
    return None if row is None else _coupon(row)


async def coupon_by_code(connection: Executor, coalition_id: uuid.UUID, code: str) -> CouponRecord | None:
    row = (
        await connection.execute(select(coupons).where(coupons.c.coalition_id == coalition_id, coupons.c.code == code))
    ).first()
    return None if row is None else _coupon(row)


async def use_coupon(connection: Executor, coupon_id: uuid.UUID, receipt_ref: str | None) -> CouponRecord:
    row = (
        await connection.execute(
            update(coupons)
            .where(coupons.c.id == coupon_id, coupons.c.status == "ISSUED")
            .values(status="USED", used_at=text("now()"), used_receipt_ref=receipt_ref)
            .returning(coupons)
        )
    ).one()
    return _coupon(row)


async def member_coupons(connection: Executor, member_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[CouponRecord]]:
    found: dict[uuid.UUID, list[CouponRecord]] = {m: [] for m in member_ids}
    rows = await connection.execute(
        select(coupons).where(coupons.c.member_id.in_(member_ids)).order_by(coupons.c.issued_at.desc(), coupons.c.id)
    )
    for row in rows:
        found[row.member_id].append(_coupon(row))
    return found
