from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import msgspec
from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.postgresql import insert

from coalition.platform.coalitions.tables import accounts
from coalition.platform.ledger.tables import entries
from coalition.platform.members.tables import members
from coalition.platform.programme.rules import CoalitionRules
from coalition.platform.programme.tables import (
    charities,
    coalition_rules,
    invites,
    member_activity,
    member_activity_days,
)
from coalition.platform.runtime.database import EXCLUDED_UPDATED_AT, Executor


def rules_from_document(document: dict[str, Any] | None) -> CoalitionRules:
    if not document:
        return CoalitionRules()
    return msgspec.convert(document, CoalitionRules, strict=False)


def rules_to_document(rules: CoalitionRules) -> dict[str, Any]:
    document: dict[str, Any] = msgspec.to_builtins(rules)
    return document


async def load_rules(connection: Executor, coalition_id: uuid.UUID) -> CoalitionRules:
    document = (
        await connection.execute(
            select(coalition_rules.c.document).where(coalition_rules.c.coalition_id == coalition_id)
        )
    ).scalar_one_or_none()
    return rules_from_document(document)


async def load_rules_for_update(connection: Executor, coalition_id: uuid.UUID) -> CoalitionRules:
    document = (
        await connection.execute(
            select(coalition_rules.c.document).where(coalition_rules.c.coalition_id == coalition_id).with_for_update()
        )
    ).scalar_one_or_none()
    return rules_from_document(document)


async def save_rules(connection: Executor, coalition_id: uuid.UUID, rules: CoalitionRules) -> None:
    document = rules_to_document(rules)
    await connection.execute(
        insert(coalition_rules)
        .values(coalition_id=coalition_id, document=document)
        .on_conflict_do_update(
            index_elements=[coalition_rules.c.coalition_id],
            set_={"document": document, "updated_at": EXCLUDED_UPDATED_AT},
        )
    )


# ---------- members' activity ----------


async def create_activity(connection: Executor, member_id: uuid.UUID) -> None:
    await connection.execute(member_activity.insert().values(member_id=member_id))


@dataclass(frozen=True)
class Activity:
    member_id: uuid.UUID
    tier_code: str | None
    tier_since: date | None
    points: int  # over the window
    spend_minor: int  # over the window


async def activities(
    connection: Executor, member_ids: list[uuid.UUID], window_start: date
) -> dict[uuid.UUID, Activity]:
    window = (
        select(
            member_activity_days.c.member_id,
            func.sum(member_activity_days.c.points).label("points"),
            func.sum(member_activity_days.c.spend_minor).label("spend"),
        )
        .where(member_activity_days.c.member_id.in_(member_ids), member_activity_days.c.day > window_start)
        .group_by(member_activity_days.c.member_id)
        .subquery()
    )
    query = (
        select(member_activity, window.c.points, window.c.spend)
        .select_from(member_activity.outerjoin(window, window.c.member_id == member_activity.c.member_id))
        .where(member_activity.c.member_id.in_(member_ids))
    )
    return {
        row.member_id: Activity(row.member_id, row.tier_code, row.tier_since, row.points or 0, row.spend or 0)
        for row in await connection.execute(query)
    }


async def coalition_activities(
    connection: Executor, coalition_id: uuid.UUID, window_start: date, after: uuid.UUID | None, limit: int
) -> list[Activity]:
    """A page of the coalition's members' activity, in member-id order."""
    query = (
        select(members.c.id)
        .where(members.c.coalition_id == coalition_id, members.c.status == "ACTIVE")
        .order_by(members.c.id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(members.c.id > after)
    ids = list((await connection.execute(query)).scalars())
    found = await activities(connection, ids, window_start) if ids else {}
    return [found[member_id] for member_id in ids if member_id in found]


async def set_tier(connection: Executor, member_id: uuid.UUID, tier_code: str | None, since: date) -> None:
    """Tier changes from the daily review. The seq moves too, so an earn
    decided on the old tier is evaluated again."""
    await connection.execute(
        update(member_activity)
        .where(member_activity.c.member_id == member_id)
        .values(tier_code=tier_code, tier_since=since, seq=member_activity.c.seq + 1)
    )


# ---------- invites ----------


async def insert_invite(connection: Executor, **values: Any) -> uuid.UUID:
    invite_id: uuid.UUID = (
        await connection.execute(invites.insert().values(**values).returning(invites.c.id))
    ).scalar_one()
    return invite_id


async def use_invite(connection: Executor, coalition_id: uuid.UUID, code: str, now: datetime) -> bool:
    """Takes one use of the invite, atomically; False if it is unknown, used up or expired."""
    used = await connection.execute(
        update(invites)
        .where(
            invites.c.coalition_id == coalition_id,
            invites.c.code == code,
            invites.c.uses < invites.c.max_uses,
            (invites.c.expires_at.is_(None)) | (invites.c.expires_at > now),
        )
        .values(uses=invites.c.uses + 1)
        .returning(invites.c.id)
    )
    return used.first() is not None


# ---------- charities ----------


@dataclass(frozen=True)
class CharityRecord:
    id: uuid.UUID
    coalition_id: uuid.UUID
    name: str
    description: str | None
    active: bool
    account_id: uuid.UUID


async def insert_charity(
    connection: Executor, coalition_id: uuid.UUID, name: str, description: str | None
) -> CharityRecord:
    charity_id = (await connection.execute(text("SELECT coalition_uuid7()"))).scalar_one()
    account_id = (
        await connection.execute(
            accounts.insert()
            .values(coalition_id=coalition_id, kind="DONATIONS", charity_id=charity_id)
            .returning(accounts.c.id)
        )
    ).scalar_one()
    row = (
        await connection.execute(
            charities.insert()
            .values(id=charity_id, coalition_id=coalition_id, name=name, description=description, account_id=account_id)
            .returning(charities)
        )
    ).one()
    return CharityRecord(**{k: row._mapping[k] for k in CharityRecord.__dataclass_fields__})


async def update_charity(
    connection: Executor, charity_id: uuid.UUID, coalition_id: uuid.UUID, **values: Any
) -> CharityRecord | None:
    row = (
        await connection.execute(
            update(charities)
            .where(charities.c.id == charity_id, charities.c.coalition_id == coalition_id)
            .values(**values)
            .returning(charities)
        )
    ).first()
    return None if row is None else CharityRecord(**{k: row._mapping[k] for k in CharityRecord.__dataclass_fields__})


async def charity_list(connection: Executor, coalition_id: uuid.UUID, active_only: bool) -> list[CharityRecord]:
    query = select(charities).where(charities.c.coalition_id == coalition_id).order_by(charities.c.created_at)
    if active_only:
        query = query.where(charities.c.active)
    return [
        CharityRecord(**{k: row._mapping[k] for k in CharityRecord.__dataclass_fields__})
        for row in await connection.execute(query)
    ]


async def charity_totals(connection: Executor, account_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Points received per charity account (donations and matching). A report
    figure read on request, summed over the account's entries."""
    rows = await connection.execute(
        select(entries.c.account_id, func.sum(entries.c.amount))
        .where(entries.c.account_id.in_(account_ids))
        .group_by(entries.c.account_id)
    )
    return {account_id: int(total) for account_id, total in rows}
