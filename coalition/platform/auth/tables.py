from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    LargeBinary,
    String,
    Table,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import UUID

from coalition.platform.coalitions.tables import UUID7
from coalition.platform.runtime.database import metadata

credentials = Table(
    "credentials",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True, server_default=UUID7),
    Column("coalition_id", UUID(as_uuid=True), ForeignKey("coalitions.id"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("role", String(16), nullable=True),
    Column("partner_id", UUID(as_uuid=True), ForeignKey("partners.id"), nullable=True),
    Column("member_id", UUID(as_uuid=True), ForeignKey("members.id"), nullable=True),
    # SHA-256 of the token: tokens are 256-bit random, so no slow hash is needed.
    Column("token_hash", LargeBinary(32), nullable=False, unique=True),
    Column("label", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("expires_at", DateTime(timezone=True), nullable=True),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    CheckConstraint("kind IN ('OPERATOR', 'PARTNER', 'MEMBER')", name="kind_known"),
    CheckConstraint(
        "(kind = 'PARTNER') = (partner_id IS NOT NULL AND role IN ('POS', 'MANAGER'))",
        name="partner_keys",
    ),
    CheckConstraint("(kind = 'MEMBER') = (member_id IS NOT NULL)", name="member_tokens"),
)
