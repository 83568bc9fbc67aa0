"""The SQL of export, erasure, profile changes and retention. Statements over
many tables are built from ``personal_data.CLASSIFICATION`` (constants of
this package), never from input."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.postgresql import insert

from coalition.platform.auth.tables import credentials
from coalition.platform.members.personal_data import CLASSIFICATION, MemberTable
from coalition.platform.members.tables import member_preferences, members, personal_data_retention
from coalition.platform.runtime.database import EXCLUDED_UPDATED_AT, Executor


@dataclass(frozen=True)
class Preferences:
    language: str | None
    marketing_consent: bool
    marketing_consent_at: datetime | None


NO_PREFERENCES = Preferences(None, False, None)


def _binds(member_id: uuid.UUID, email: str | None) -> dict[str, Any]:
    return {"member_id": member_id, "email": email}


async def rows_of(
    connection: Executor, table: MemberTable, member_id: uuid.UUID, email: str | None
) -> list[dict[str, Any]]:
    """Every row of ``table`` that is the member's, as column -> value."""
    assert table.whose is not None
    found = await connection.execute(text(f"SELECT * FROM {table.name} WHERE {table.whose}"), _binds(member_id, email))
    return [dict(row._mapping) for row in found]


async def erase_rows(connection: Executor, member_id: uuid.UUID, email: str | None) -> dict[str, int]:
    """Every personal column of the member's rows set to its erased form (or
    the rows deleted where the classification says so); rows touched per table."""
    touched: dict[str, int] = {}
    for table in CLASSIFICATION:
        if table.whose is None or not table.personal:
            continue
        if table.erase_rows:
            statement = f"DELETE FROM {table.name} WHERE {table.whose}"
        else:
            assignments = ", ".join(f"{column} = {erased}" for column, erased in table.personal.items())
            statement = f"UPDATE {table.name} SET {assignments} WHERE {table.whose}"
        result = await connection.execute(text(statement), _binds(member_id, email))
        touched[table.name] = int(getattr(result, "rowcount", 0) or 0)
    return touched


async def mark_erased(connection: Executor, member_id: uuid.UUID) -> None:
    await connection.execute(update(members).where(members.c.id == member_id).values(status="ERASED"))


async def revoke_member_credentials(connection: Executor, member_id: uuid.UUID, now: datetime) -> int:
    result = await connection.execute(
        update(credentials)
        .where(credentials.c.member_id == member_id, credentials.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def wallet_balance(connection: Executor, member_id: uuid.UUID) -> int:
    found = await connection.execute(text("SELECT balance FROM wallets WHERE member_id = :m"), {"m": member_id})
    return int(found.scalar_one_or_none() or 0)


async def preferences_of(connection: Executor, ids: list[uuid.UUID]) -> dict[uuid.UUID, Preferences]:
    found = await connection.execute(select(member_preferences).where(member_preferences.c.member_id.in_(ids)))
    return {row.member_id: Preferences(row.language, row.marketing_consent, row.marketing_consent_at) for row in found}


async def update_contact(connection: Executor, member_id: uuid.UUID, values: dict[str, str | date | None]) -> None:
    if values:
        await connection.execute(update(members).where(members.c.id == member_id).values(**values))


async def save_preferences(connection: Executor, member_id: uuid.UUID, preferences: Preferences) -> None:
    values = {
        "language": preferences.language,
        "marketing_consent": preferences.marketing_consent,
        "marketing_consent_at": preferences.marketing_consent_at,
        "updated_at": func.now(),
    }
    await connection.execute(
        insert(member_preferences)
        .values(member_id=member_id, **values)
        .on_conflict_do_update(index_elements=[member_preferences.c.member_id], set_=values)
    )


async def contact_taken_by_other(
    connection: Executor, coalition_id: uuid.UUID, member_id: uuid.UUID, *, email: str | None, phone: str | None
) -> str | None:
    """ "email" or "phone" when another member of the coalition has it already."""
    for name, value, column in (("email", email, func.lower(members.c.email)), ("phone", phone, members.c.phone)):
        if value is None:
            continue
        wanted = value.lower() if name == "email" else value
        query = select(members.c.id).where(
            members.c.coalition_id == coalition_id, column == wanted, members.c.id != member_id
        )
        if (await connection.execute(query.limit(1))).first() is not None:
            return name
    return None


# ---------- retention ----------


async def retention_months(connection: Executor, coalition_id: uuid.UUID) -> int | None:
    found = await connection.execute(
        select(personal_data_retention.c.months).where(personal_data_retention.c.coalition_id == coalition_id)
    )
    months: int | None = found.scalar_one_or_none()
    return months


async def set_retention_months(connection: Executor, coalition_id: uuid.UUID, months: int | None) -> None:
    await connection.execute(
        insert(personal_data_retention)
        .values(coalition_id=coalition_id, months=months)
        .on_conflict_do_update(
            index_elements=[personal_data_retention.c.coalition_id],
            set_={"months": months, "updated_at": EXCLUDED_UPDATED_AT},
        )
    )


async def coalitions_with_retention(connection: Executor) -> list[tuple[uuid.UUID, int]]:
    found = await connection.execute(
        select(personal_data_retention.c.coalition_id, personal_data_retention.c.months).where(
            personal_data_retention.c.months.is_not(None)
        )
    )
    return [(row.coalition_id, row.months) for row in found]


async def anonymise_purchases_before(
    connection: Executor, coalition_id: uuid.UUID, before: datetime
) -> tuple[int, int]:
    """Lines of the coalition's purchases made before ``before`` deleted, and
    receipts' references dropped (an imported one's replaced: it must have one); the purchases' totals stay.
    (lines deleted, receipts anonymised)."""
    lines = await connection.execute(
        text(
            """DELETE FROM purchase_lines l USING purchases p
                WHERE p.coalition_id = :coalition AND p.occurred_at < :before
                  AND l.member_id = p.member_id AND l.purchase_id = p.id"""
        ),
        {"coalition": coalition_id, "before": before},
    )
    # The import's claims on those receipts first, while the purchases still say which they are.
    await connection.execute(
        text(
            """UPDATE purchase_receipts SET receipt_ref = 'anonymised:' || purchase_id::text
                WHERE purchase_id IN (
                  SELECT id FROM purchases
                   WHERE coalition_id = :coalition AND occurred_at < :before AND source = 'IMPORT'
                     AND receipt_ref NOT LIKE 'anonymised:%' AND receipt_ref NOT LIKE 'erased:%')"""
        ),
        {"coalition": coalition_id, "before": before},
    )
    receipts = await connection.execute(
        text(
            """UPDATE purchases
                  SET receipt_ref = CASE WHEN source = 'IMPORT' THEN 'anonymised:' || id::text END
                WHERE coalition_id = :coalition AND occurred_at < :before AND receipt_ref IS NOT NULL
                  AND receipt_ref NOT LIKE 'anonymised:%' AND receipt_ref NOT LIKE 'erased:%'"""
        ),
        {"coalition": coalition_id, "before": before},
    )
    return int(getattr(lines, "rowcount", 0) or 0), int(getattr(receipts, "rowcount", 0) or 0)
