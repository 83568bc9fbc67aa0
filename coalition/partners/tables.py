from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, DateTime, ForeignKey, Numeric, String, Table, func
from sqlalchemy.dialects.postgresql import UUID

from coalition.platform.database import metadata

# A partner's programme: what it configures. Its identity (name, status) is
# the platform's ``partners`` table, because the ledger needs it.
partner_programmes = Table(
    "partner_programmes",
    metadata,
    Column("partner_id", UUID(as_uuid=True), ForeignKey("partners.id"), primary_key=True),
    Column("earn_rate_per_unit", Numeric(12, 4), nullable=False),
    Column("iban", String(34), nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("earn_rate_per_unit >= 0", name="earn_rate_not_negative"),
)
