from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
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

members = Table(
    "members",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True, server_default=UUID7),
    Column("coalition_id", UUID(as_uuid=True), ForeignKey("coalitions.id"), nullable=False),
    Column("card_number", String(32), nullable=False),
    Column("email", Text, nullable=True),
    Column("phone", String(32), nullable=True),
    Column("birth_date", Date, nullable=True),
    Column("status", String(16), nullable=False, server_default="ACTIVE"),
    Column("enrolled_by_partner_id", UUID(as_uuid=True), ForeignKey("partners.id"), nullable=True),
    # The code this member gives friends, and who referred this member.
    Column("referral_code", String(16), nullable=False),
    Column("referred_by_member_id", UUID(as_uuid=True), ForeignKey("members.id"), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("status IN ('ACTIVE', 'BLOCKED', 'ERASED')", name="status_known"),
    Index("uq_members_card", "coalition_id", "card_number", unique=True),
    Index("uq_members_referral_code", "coalition_id", "referral_code", unique=True),
    Index(
        "uq_members_email",
        "coalition_id",
        text("lower(email)"),
        unique=True,
        postgresql_where=text("email IS NOT NULL"),
    ),
    Index(
        "uq_members_phone",
        "coalition_id",
        "phone",
        unique=True,
        postgresql_where=text("phone IS NOT NULL"),
    ),
)

# What a member chose for themselves (the wallet's Me page): the language they
# read in and whether the coalition may send them offers. One row per member,
# made on the first choice; no row means "no choice made": no marketing.
member_preferences = Table(
    "member_preferences",
    metadata,
    Column("member_id", UUID(as_uuid=True), ForeignKey("members.id"), primary_key=True),
    Column("language", String(8), nullable=True),
    Column("marketing_consent", Boolean, nullable=False, server_default=text("false")),
    # When consent was last given or withdrawn: the proof a regulator asks for.
    Column("marketing_consent_at", DateTime(timezone=True), nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# How long a coalition keeps what identifies purchases (basket lines, imported
# receipts' references); no row or NULL months: kept as long as the member is.
personal_data_retention = Table(
    "personal_data_retention",
    metadata,
    Column("coalition_id", UUID(as_uuid=True), ForeignKey("coalitions.id"), primary_key=True),
    Column("months", Integer, nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("months IS NULL OR months BETWEEN 1 AND 240", name="months_plausible"),
)

# A member's WebAuthn credentials: the public key and the authenticator's
# signature counter (a counter going backwards betrays a cloned key).
member_passkeys = Table(
    "member_passkeys",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True, server_default=UUID7),
    Column("member_id", UUID(as_uuid=True), ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    Column("credential_id", LargeBinary, nullable=False),
    Column("public_key", LargeBinary, nullable=False),
    Column("sign_count", BigInteger, nullable=False, server_default="0"),
    Column("name", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("last_used_at", DateTime(timezone=True), nullable=True),
    Index("ux_member_passkeys_credential", "credential_id", unique=True),
    Index("ix_member_passkeys_member", "member_id"),
)
