"""Purchases' SQL: the receipt import's staging tables, loaded by COPY, and
the set-based inserts that claim each receipt in ``purchase_receipts`` and move
them into ``purchases`` and ``purchase_lines``;
an aimed campaign's audience drawn from them, and its members' outcomes."""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from coalition.platform.runtime.database import Executor

from .model import Purchase

# Dropped when the import's transaction ends, committed or not.
_STAGING = (
    """CREATE TEMP TABLE import_receipts (
         receipt_no integer NOT NULL, shop text NOT NULL, receipt text NOT NULL, card text NOT NULL,
         occurred_at timestamptz NOT NULL, total_minor bigint NOT NULL, first_row integer NOT NULL,
         partner_id uuid, member_id uuid, purchase_id uuid NOT NULL DEFAULT coalition_uuid7()
       ) ON COMMIT DROP""",
    """CREATE TEMP TABLE import_lines (
         receipt_no integer NOT NULL, line_no integer NOT NULL, sku text NOT NULL, category text,
         quantity numeric NOT NULL, amount_minor bigint NOT NULL
       ) ON COMMIT DROP""",
)
RECEIPT_COLUMNS = (
    "receipt_no",
    "shop",
    "receipt",
    "card",
    "occurred_at",
    "total_minor",
    "first_row",
    "partner_id",
    "member_id",
)
LINE_COLUMNS = ("receipt_no", "line_no", "sku", "category", "quantity", "amount_minor")

_PARTNERS_BY_REFERENCE = text(
    "SELECT lower(reference), id FROM partners WHERE coalition_id = :coalition AND lower(reference) = ANY(:references)"
)
_MEMBERS_BY_CARD = text(
    "SELECT card_number, id FROM members WHERE coalition_id = :coalition AND card_number = ANY(:cards)"
)
# Shops and members are resolved before staging (a few hundred shops, one
# lookup of the file's distinct cards): the statements below join nothing
# but the staging tables, whatever the planner believes of partners and members.
# Each receipt is claimed first (unique per shop and receipt, whatever the
# card); only the claimed ones become purchases. A concurrent import of the
# same receipt waits on the claim and then finds it taken.
_INSERT = text(
    """WITH claimed AS (
         INSERT INTO purchase_receipts (partner_id, receipt_ref, member_id, purchase_id)
         SELECT partner_id, receipt, member_id, purchase_id
           FROM import_receipts
          WHERE partner_id IS NOT NULL AND member_id IS NOT NULL
         ON CONFLICT (partner_id, receipt_ref) DO NOTHING
         RETURNING purchase_id
       ), inserted AS (
         INSERT INTO purchases (member_id, id, coalition_id, partner_id, source, receipt_ref, total_minor,
             occurred_at, local_date)
         SELECT r.member_id, r.purchase_id, :coalition, r.partner_id, 'IMPORT', r.receipt, r.total_minor,
                r.occurred_at, (r.occurred_at AT TIME ZONE :timezone)::date
           FROM import_receipts r JOIN claimed c ON c.purchase_id = r.purchase_id
         RETURNING member_id, id
       ), lines AS (
         INSERT INTO purchase_lines (member_id, purchase_id, line_no, sku, category, quantity, amount_minor)
         SELECT i.member_id, i.id, l.line_no, l.sku, nullif(l.category, ''), l.quantity, l.amount_minor
           FROM inserted i
           JOIN import_receipts r ON r.purchase_id = i.id
           JOIN import_lines l ON l.receipt_no = r.receipt_no
         RETURNING 1
       )
     SELECT (SELECT count(*) FROM import_receipts WHERE partner_id IS NOT NULL AND member_id IS NOT NULL)
              AS matched,
            (SELECT count(*) FROM inserted) AS receipts, (SELECT count(*) FROM lines) AS lines"""
)
_MATCHED_RECEIPTS = text(
    """SELECT partner_id, receipt, card, occurred_at, total_minor, receipt_no FROM import_receipts
        WHERE partner_id IS NOT NULL AND member_id IS NOT NULL ORDER BY receipt_no"""
)
_LINES = text("SELECT receipt_no, sku, category, quantity, amount_minor FROM import_lines ORDER BY receipt_no, line_no")


async def create_staging(connection: Executor) -> None:
    for statement in _STAGING:
        await connection.execute(text(statement))


async def copy_staging(connection: AsyncConnection, receipts_csv: bytes, lines_csv: bytes) -> None:
    """Loads the staging tables from CSV (no header) with COPY, then gives the
    planner their sizes for the joins that follow."""
    raw = await connection.get_raw_connection()
    driver: Any = raw.driver_connection
    await driver.copy_to_table(
        "import_receipts", source=io.BytesIO(receipts_csv), columns=list(RECEIPT_COLUMNS), format="csv"
    )
    await driver.copy_to_table("import_lines", source=io.BytesIO(lines_csv), columns=list(LINE_COLUMNS), format="csv")
    await connection.execute(text("ANALYZE import_receipts"))
    await connection.execute(text("ANALYZE import_lines"))


async def partners_by_reference(
    connection: Executor, coalition_id: uuid.UUID, references: list[str]
) -> dict[str, uuid.UUID]:
    """The coalition's partners among ``references`` (lower case), by lower-case reference."""
    rows = await connection.execute(_PARTNERS_BY_REFERENCE, {"coalition": coalition_id, "references": references})
    return {reference: partner_id for reference, partner_id in rows}


async def members_by_card(connection: Executor, coalition_id: uuid.UUID, cards: list[str]) -> dict[str, uuid.UUID]:
    rows = await connection.execute(_MEMBERS_BY_CARD, {"coalition": coalition_id, "cards": cards})
    return {card: member_id for card, member_id in rows}


async def insert_staged(connection: Executor, coalition_id: uuid.UUID, timezone: str) -> tuple[int, int, int]:
    """The staged receipts of known shops and members, with their lines, that
    are not there yet: (receipts matched, receipts added, lines added)."""
    row = (await connection.execute(_INSERT, {"coalition": coalition_id, "timezone": timezone})).one()
    return int(row.matched), int(row.receipts), int(row.lines)


async def matched_receipts(connection: Executor, coalition_id: uuid.UUID) -> list[Any]:
    """The staged receipts of known shops and members, with their partner, in file order."""
    return list((await connection.execute(_MATCHED_RECEIPTS, {"coalition": coalition_id})).all())


async def staged_lines(connection: Executor) -> list[Any]:
    return list((await connection.execute(_LINES)).all())


# ---------- aimed campaigns ----------


@dataclass(frozen=True)
class AimedCampaign:
    id: uuid.UUID
    coalition_id: uuid.UUID
    partner_id: uuid.UUID | None
    starts_at: datetime
    ends_at: datetime
    audience_kind: str
    audience_segment: str | None
    holdout_share: Decimal | None
    drawn_at: datetime | None
    timezone: str


_CAMPAIGN = """SELECT c.id, c.coalition_id, c.partner_id, c.starts_at, c.ends_at, c.audience_kind,
                      c.audience_segment, c.holdout_share, c.drawn_at, k.timezone
                 FROM campaigns c JOIN coalitions k ON k.id = c.coalition_id
                WHERE c.audience_kind IS NOT NULL"""


def _aimed(row: Any) -> AimedCampaign:
    return AimedCampaign(*row)


async def aimed_campaign(
    connection: Executor, campaign_id: uuid.UUID, *, for_update: bool = False
) -> AimedCampaign | None:
    query = _CAMPAIGN + " AND c.id = :id" + (" FOR UPDATE OF c" if for_update else "")
    row = (await connection.execute(text(query), {"id": campaign_id})).first()
    return None if row is None else _aimed(row)


async def due_for_draw(connection: Executor, now: datetime) -> list[uuid.UUID]:
    """Aimed campaigns that have started, are still running and have no audience drawn yet."""
    rows = await connection.execute(
        text(_CAMPAIGN + " AND c.drawn_at IS NULL AND c.starts_at <= :now AND c.ends_at > :now ORDER BY c.starts_at"),
        {"now": now},
    )
    return [row.id for row in rows]


async def purchases_before(
    connection: Executor, coalition_id: uuid.UUID, partner_id: uuid.UUID | None, before: datetime
) -> list[Purchase]:
    """Every purchase before ``before`` at the shop (no partner: anywhere in the coalition)."""
    rows = await connection.execute(
        text(
            "SELECT member_id, partner_id, occurred_at, total_minor FROM purchases"
            " WHERE coalition_id = :coalition AND occurred_at < :before"
            " AND (CAST(:partner AS uuid) IS NULL OR partner_id = :partner)"
        ),
        {"coalition": coalition_id, "partner": partner_id, "before": before},
    )
    return [Purchase(row.member_id, row.partner_id, row.occurred_at, row.total_minor) for row in rows]


async def store_draw(
    connection: Executor,
    campaign_id: uuid.UUID,
    treatment: list[uuid.UUID],
    holdout: list[uuid.UUID],
    seed: bytes | None,
    drawn_at: datetime,
) -> None:
    if treatment or holdout:
        await connection.execute(
            text(
                "INSERT INTO campaign_members (member_id, campaign_id, arm)"
                " SELECT member_id, :campaign, arm FROM unnest(CAST(:members AS uuid[]), CAST(:arms AS text[]))"
                " AS t(member_id, arm)"
            ),
            {
                "campaign": campaign_id,
                "members": treatment + holdout,
                "arms": ["TREATMENT"] * len(treatment) + ["HOLDOUT"] * len(holdout),
            },
        )
    await connection.execute(
        text("UPDATE campaigns SET drawn_at = :at, holdout_seed = :seed WHERE id = :id"),
        {"at": drawn_at, "seed": seed, "id": campaign_id},
    )


@dataclass(frozen=True)
class ArmOutcome:
    member_id: uuid.UUID
    arm: str
    purchases: int
    spend_minor: int


async def outcomes(connection: Executor, campaign: AimedCampaign, until: datetime) -> list[ArmOutcome]:
    """Each drawn member's purchases and spend from the campaign's start to ``until``
    (at its shop; for a coalition-wide campaign, anywhere), zero for none."""
    rows = await connection.execute(
        text(
            """SELECT cm.member_id, cm.arm, count(p.id) AS purchases, coalesce(sum(p.total_minor), 0) AS spend
                 FROM campaign_members cm
                 LEFT JOIN purchases p
                   ON p.member_id = cm.member_id AND p.occurred_at >= :start AND p.occurred_at < :until
                  AND (CAST(:partner AS uuid) IS NULL OR p.partner_id = :partner)
                WHERE cm.campaign_id = :campaign
                GROUP BY cm.member_id, cm.arm"""
        ),
        {"campaign": campaign.id, "start": campaign.starts_at, "until": until, "partner": campaign.partner_id},
    )
    return [ArmOutcome(row.member_id, row.arm, int(row.purchases), int(row.spend)) for row in rows]


async def arm_sizes(connection: Executor, campaign_id: uuid.UUID) -> dict[str, int]:
    rows = await connection.execute(
        text("SELECT arm, count(*) FROM campaign_members WHERE campaign_id = :id GROUP BY arm"), {"id": campaign_id}
    )
    return {arm: int(count) for arm, count in rows}
