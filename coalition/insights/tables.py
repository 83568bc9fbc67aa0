"""Purchases: every receipt a member brought to a shop, from a till's earn or
from an imported history, with its basket lines.

The member is the leading key of both tables' primary keys, so they are
distributed by member on Citus (``coalition db distribute``); what a shop or
a day asks for goes through the secondary indexes."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    Numeric,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import UUID

from coalition.platform.coalitions.tables import UUID7
from coalition.platform.runtime.database import metadata

purchases = Table(
    "purchases",
    metadata,
    Column("member_id", UUID(as_uuid=True), nullable=False),
    Column("id", UUID(as_uuid=True), nullable=False, server_default=UUID7),
    Column("coalition_id", UUID(as_uuid=True), nullable=False),
    Column("partner_id", UUID(as_uuid=True), nullable=False),
    # TILL: kept by an earn (transaction_id is that earn); IMPORT: brought in by `coalition import receipts`.
    Column("source", String(8), nullable=False),
    Column("transaction_id", UUID(as_uuid=True), nullable=True),
    Column("receipt_ref", Text, nullable=True),
    Column("total_minor", BigInteger, nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    # occurred_at's date in the coalition's time zone: the date every insight counts by.
    Column("local_date", Date, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("member_id", "id"),
    ForeignKeyConstraint(["member_id"], ["members.id"]),
    ForeignKeyConstraint(["partner_id"], ["partners.id"]),
    CheckConstraint("source IN ('TILL', 'IMPORT')", name="source_known"),
    CheckConstraint("(source = 'TILL') = (transaction_id IS NOT NULL)", name="till_purchase_has_transaction"),
    CheckConstraint("source = 'TILL' OR receipt_ref IS NOT NULL", name="imported_purchase_has_receipt"),
    CheckConstraint("total_minor >= 0", name="total_not_negative"),
    Index("purchases_by_partner_date", "partner_id", "local_date"),
    Index("purchases_by_coalition_date", "coalition_id", "local_date"),
    # The rollup finds the days of newly inserted purchases; BRIN costs an insert next to nothing.
    Index("purchases_by_created_at", "created_at", postgresql_using="brin"),
)

# An imported receipt is the shop's: importing the same one again adds nothing.
# The import claims each (shop, receipt) here before it inserts the purchase,
# in the same transaction, rather than through a unique index on purchases:
# such an index would have to lead with the member for purchases to be
# distributed by member, and would then no longer stop a second import of the
# receipt under another card. Distributed by partner on Citus (the pattern of
# idempotency keys). One row per imported purchase: erasure and retention
# replace ``receipt_ref`` here exactly as they do in the purchase.
purchase_receipts = Table(
    "purchase_receipts",
    metadata,
    Column("partner_id", UUID(as_uuid=True), ForeignKey("partners.id"), nullable=False),
    Column("receipt_ref", Text, nullable=False),
    Column("member_id", UUID(as_uuid=True), nullable=False),
    Column("purchase_id", UUID(as_uuid=True), nullable=False),
    PrimaryKeyConstraint("partner_id", "receipt_ref"),
)

purchase_lines = Table(
    "purchase_lines",
    metadata,
    Column("member_id", UUID(as_uuid=True), nullable=False),
    Column("purchase_id", UUID(as_uuid=True), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("sku", Text, nullable=False),
    Column("category", Text, nullable=True),
    Column("quantity", Numeric(13, 6), nullable=False),
    # May be negative: a return on the same receipt.
    Column("amount_minor", BigInteger, nullable=False),
    # No foreign key to purchases: lines are only ever written by the statement
    # that writes their purchase (the posting function, the import's insert), and
    # checking one for each line halved the import's speed.
    PrimaryKeyConstraint("member_id", "purchase_id", "line_no"),
    CheckConstraint("quantity >= 0", name="quantity_not_negative"),
)


# ---------- daily rollups, kept by the worker (``coalition.insights.rollup``) ----------
# scope_id: the partner's id for a shop's figures, the coalition's id for the whole coalition's.


def _scoped(name: str, *columns: Column[object], key: tuple[str, ...], day: str = "local_date") -> Table:
    return Table(
        name,
        metadata,
        Column("coalition_id", UUID(as_uuid=True), nullable=False),
        Column("scope_id", UUID(as_uuid=True), nullable=False),
        Column(day, Date, nullable=False),
        *columns,
        PrimaryKeyConstraint("scope_id", day, *key),
        Index(f"{name}_by_coalition_date", "coalition_id", day),
    )


member_days = _scoped(
    "insight_member_days",
    Column("member_id", UUID(as_uuid=True), nullable=False),
    Column("purchases", Integer, nullable=False),
    Column("revenue_minor", BigInteger, nullable=False),
    key=("member_id",),
)
shop_days = _scoped(
    "insight_shop_days",
    Column("purchases", Integer, nullable=False),
    Column("revenue_minor", BigInteger, nullable=False),
    Column("members", Integer, nullable=False),
    # Receipts with at least one categorised line: the basket rules' denominator.
    Column("basket_receipts", Integer, nullable=False, server_default=text("0")),
    key=(),
)
category_days = _scoped(
    "insight_category_days",
    Column("category", Text, nullable=False),
    Column("receipts", Integer, nullable=False),
    key=("category",),
)
# Each unordered pair once, first_category < second_category by code point.
pair_days = _scoped(
    "insight_pair_days",
    Column("first_category", Text, nullable=False),
    Column("second_category", Text, nullable=False),
    Column("receipts", Integer, nullable=False),
    key=("first_category", "second_category"),
)
points_days = _scoped(
    "insight_points_days",
    Column("issued", BigInteger, nullable=False),
    Column("redeemed", BigInteger, nullable=False),
    Column("expired", BigInteger, nullable=False),
    # Points of this issuer put into wallets minus those taken out: summed up to a date, what is outstanding then.
    Column("outstanding_delta", BigInteger, nullable=False),
    key=(),
    day="business_date",
)
member_firsts = Table(
    "insight_member_firsts",
    metadata,
    Column("coalition_id", UUID(as_uuid=True), nullable=False),
    Column("scope_id", UUID(as_uuid=True), nullable=False),
    Column("member_id", UUID(as_uuid=True), nullable=False),
    Column("first_date", Date, nullable=False),
    PrimaryKeyConstraint("scope_id", "member_id"),
    Index("insight_member_firsts_by_date", "scope_id", "first_date"),
)
rollup_state = Table(
    "insight_rollup_state",
    metadata,
    Column("coalition_id", UUID(as_uuid=True), ForeignKey("coalitions.id"), primary_key=True),
    # Purchases inserted before this moment are in the rollups.
    Column("watermark", DateTime(timezone=True), nullable=True),
    Column("rolled_at", DateTime(timezone=True), nullable=True),
)
