from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import UUID

from coalition.platform.runtime.database import metadata

UUID7 = text("coalition_uuid7()")

coalitions = Table(
    "coalitions",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True, server_default=UUID7),
    Column("slug", String(63), nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("points_name", Text, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("point_value", Numeric(18, 6), nullable=False),
    Column("timezone", Text, nullable=False),
    Column("pending_days", Integer, nullable=False, server_default="0"),
    Column("expiry_months", Integer, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("point_value > 0", name="point_value_positive"),
    CheckConstraint("pending_days >= 0", name="pending_days_not_negative"),
    CheckConstraint("expiry_months IS NULL OR expiry_months > 0", name="expiry_months_positive"),
)

partners = Table(
    "partners",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True, server_default=UUID7),
    Column("coalition_id", UUID(as_uuid=True), ForeignKey("coalitions.id"), nullable=False, index=True),
    Column("name", Text, nullable=False),
    Column("status", String(16), nullable=False, server_default="INVITED"),
    Column("status_reason", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # The shop's own name for itself in files it sends (receipt imports); unique per coalition, any case.
    Column("reference", Text, nullable=True),
    # Insights: the kind of shop other shops' reports call it by ("bakery"),
    # whether they may name it instead, and its margin on sales (a fraction) for the programme's ROI.
    Column("kind", Text, nullable=True),
    Column("named_in_insights", Boolean, nullable=False, server_default=text("false")),
    Column("margin", Numeric(5, 4), nullable=True),
    CheckConstraint("kind IS NULL OR char_length(kind) BETWEEN 1 AND 40", name="kind_length"),
    CheckConstraint("margin IS NULL OR (margin >= 0 AND margin <= 1)", name="margin_fraction"),
    CheckConstraint("status IN ('INVITED', 'ACTIVE', 'SUSPENDED', 'TERMINATED')", name="status_known"),
    CheckConstraint("reference IS NULL OR char_length(reference) BETWEEN 1 AND 64", name="reference_length"),
    Index("partners_reference_unique", "coalition_id", func.lower(text("reference")), unique=True),
)

# Points accounts that are not member wallets: per partner ISSUED and REDEEMED,
# and the coalition's house accounts (PROMOTIONS, BREAKAGE, TRANSFERS, ADJUSTMENTS, DONATIONS per charity). They keep no
# running balance: their balances are sums, materialised by settlement.
accounts = Table(
    "accounts",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True, server_default=UUID7),
    Column("coalition_id", UUID(as_uuid=True), ForeignKey("coalitions.id"), nullable=False),
    Column("partner_id", UUID(as_uuid=True), ForeignKey("partners.id"), nullable=True),
    Column("kind", String(16), nullable=False),
    # DONATIONS: one per charity; TRANSFERS: the clearing account member-to-member transfers pass through.
    Column("charity_id", UUID(as_uuid=True), nullable=True),
    CheckConstraint(
        "kind IN ('ISSUED', 'REDEEMED', 'PROMOTIONS', 'BREAKAGE', 'DONATIONS', 'TRANSFERS', 'ADJUSTMENTS')",
        name="kind_known",
    ),
    CheckConstraint("(kind IN ('ISSUED', 'REDEEMED')) = (partner_id IS NOT NULL)", name="partner_accounts"),
    CheckConstraint("(kind = 'DONATIONS') = (charity_id IS NOT NULL)", name="charity_accounts"),
)
