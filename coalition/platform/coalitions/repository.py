from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, func, select, update

from coalition.platform.coalitions.tables import accounts, coalitions, partners
from coalition.platform.runtime.database import Executor


@dataclass(frozen=True)
class CoalitionRecord:
    id: uuid.UUID
    slug: str
    name: str
    points_name: str
    currency: str
    point_value: Decimal
    timezone: str
    pending_days: int
    expiry_months: int | None


@dataclass(frozen=True)
class PartnerRecord:
    id: uuid.UUID
    coalition_id: uuid.UUID
    name: str
    status: str
    created_at: datetime
    reference: str | None = None


def _record(cls: Any, row: Row[Any]) -> Any:
    return cls(**{name: row._mapping[name] for name in cls.__dataclass_fields__})


async def insert_coalition(connection: Executor, **values: Any) -> CoalitionRecord:
    row = (await connection.execute(coalitions.insert().values(**values).returning(coalitions))).one()
    await connection.execute(
        accounts.insert(),
        [{"coalition_id": row.id, "kind": kind} for kind in ("PROMOTIONS", "BREAKAGE", "TRANSFERS")],
    )
    record: CoalitionRecord = _record(CoalitionRecord, row)
    return record


async def coalition_by_id(connection: Executor, coalition_id: uuid.UUID) -> CoalitionRecord | None:
    row = (await connection.execute(select(coalitions).where(coalitions.c.id == coalition_id))).first()
    return None if row is None else _record(CoalitionRecord, row)


async def coalition_by_slug(connection: Executor, slug: str) -> CoalitionRecord | None:
    row = (await connection.execute(select(coalitions).where(coalitions.c.slug == slug))).first()
    return None if row is None else _record(CoalitionRecord, row)


async def sole_coalition(connection: Executor) -> CoalitionRecord | None:
    """The coalition, when the database holds exactly one (a town's own installation)."""
    rows = (await connection.execute(select(coalitions).limit(2))).all()
    return _record(CoalitionRecord, rows[0]) if len(rows) == 1 else None


async def insert_partner(
    connection: Executor, coalition_id: uuid.UUID, name: str, reference: str | None = None
) -> PartnerRecord:
    row = (
        await connection.execute(
            partners.insert().values(coalition_id=coalition_id, name=name, reference=reference).returning(partners)
        )
    ).one()
    await connection.execute(
        accounts.insert(),
        [{"coalition_id": coalition_id, "partner_id": row.id, "kind": kind} for kind in ("ISSUED", "REDEEMED")],
    )
    record: PartnerRecord = _record(PartnerRecord, row)
    return record


async def partners_by_ids(connection: Executor, ids: list[uuid.UUID]) -> list[PartnerRecord]:
    rows = await connection.execute(select(partners).where(partners.c.id.in_(ids)))
    return [_record(PartnerRecord, row) for row in rows]


async def partner_for_update(
    connection: Executor, partner_id: uuid.UUID, coalition_id: uuid.UUID
) -> PartnerRecord | None:
    row = (
        await connection.execute(
            select(partners)
            .where(partners.c.id == partner_id, partners.c.coalition_id == coalition_id)
            .with_for_update()
        )
    ).first()
    return None if row is None else _record(PartnerRecord, row)


async def set_partner_status(
    connection: Executor, partner_id: uuid.UUID, status: str, reason: str | None
) -> PartnerRecord:
    row = (
        await connection.execute(
            update(partners)
            .where(partners.c.id == partner_id)
            .values(status=status, status_reason=reason)
            .returning(partners)
        )
    ).one()
    record: PartnerRecord = _record(PartnerRecord, row)
    return record


async def partner_with_reference(connection: Executor, coalition_id: uuid.UUID, reference: str) -> uuid.UUID | None:
    """The partner whose reference is ``reference``, in any case."""
    found: uuid.UUID | None = await connection.scalar(
        select(partners.c.id).where(
            partners.c.coalition_id == coalition_id, func.lower(partners.c.reference) == reference.lower()
        )
    )
    return found


async def set_partner_reference(connection: Executor, partner_id: uuid.UUID, reference: str | None) -> PartnerRecord:
    row = (
        await connection.execute(
            update(partners).where(partners.c.id == partner_id).values(reference=reference).returning(partners)
        )
    ).one()
    record: PartnerRecord = _record(PartnerRecord, row)
    return record


async def partner_page(
    connection: Executor, coalition_id: uuid.UUID, after: uuid.UUID | None, limit: int
) -> list[PartnerRecord]:
    """Partners in the order they joined (ids are time-ordered)."""
    query = select(partners).where(partners.c.coalition_id == coalition_id)
    if after is not None:
        query = query.where(partners.c.id > after)
    rows = await connection.execute(query.order_by(partners.c.id).limit(limit))
    return [_record(PartnerRecord, row) for row in rows]
