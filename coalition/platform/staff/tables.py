from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import UUID

from coalition.platform.coalitions.tables import UUID7
from coalition.platform.runtime.database import metadata

staff_people = Table(
    "staff_people",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True, server_default=UUID7),
    Column("coalition_id", UUID(as_uuid=True), ForeignKey("coalitions.id"), nullable=False),
    Column("email", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("language", String(8), nullable=False),
    Column("password_hash", Text, nullable=True),
    Column("totp_secret", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("removed_at", DateTime(timezone=True), nullable=True),
    # One person per address in a coalition, whatever the letter case; a
    # removed person's address may be invited again.
    Index(
        "ux_staff_people_email",
        "coalition_id",
        text("lower(email)"),
        unique=True,
        postgresql_where=text("removed_at IS NULL"),
    ),
)

staff_roles = Table(
    "staff_roles",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True, server_default=UUID7),
    Column("person_id", UUID(as_uuid=True), ForeignKey("staff_people.id", ondelete="CASCADE"), nullable=False),
    Column("role", String(24), nullable=False),
    Column("partner_id", UUID(as_uuid=True), ForeignKey("partners.id"), nullable=True),
    CheckConstraint(
        "role IN ('OPERATOR_ADMIN', 'OPERATOR_FINANCE', 'OWNER', 'MANAGER', 'CASHIER')", name="staff_role_known"
    ),
    CheckConstraint(
        "(role IN ('OWNER', 'MANAGER', 'CASHIER')) = (partner_id IS NOT NULL)", name="staff_shop_roles_name_a_shop"
    ),
    Index("ux_staff_roles_grant", "person_id", "role", "partner_id", unique=True, postgresql_nulls_not_distinct=True),
)

staff_recovery_codes = Table(
    "staff_recovery_codes",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True, server_default=UUID7),
    Column("person_id", UUID(as_uuid=True), ForeignKey("staff_people.id", ondelete="CASCADE"), nullable=False),
    Column("code_hash", LargeBinary(32), nullable=False),
    Column("used_at", DateTime(timezone=True), nullable=True),
    Index("ix_staff_recovery_codes_person", "person_id"),
)

staff_links = Table(
    "staff_links",
    metadata,
    # SHA-256 of the token: tokens are 256-bit random, so no slow hash is needed.
    Column("token_hash", LargeBinary(32), primary_key=True),
    Column("person_id", UUID(as_uuid=True), ForeignKey("staff_people.id", ondelete="CASCADE"), nullable=False),
    Column("purpose", String(16), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True), nullable=True),
    CheckConstraint("purpose IN ('INVITATION', 'SIGN_IN')", name="staff_link_purpose_known"),
    Index("ix_staff_links_person", "person_id"),
)
