from __future__ import annotations

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from coalition.platform.coalitions.tables import UUID7
from coalition.platform.runtime.database import metadata

# The operator's coalition-wide rules, one document per coalition (see
# programme/rules.py for its shape). Absent: the defaults.
coalition_rules = Table(
    "coalition_rules",
    metadata,
    Column("coalition_id", UUID(as_uuid=True), ForeignKey("coalitions.id"), primary_key=True),
    Column("document", JSONB, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# Per member: what the earn engine remembers between purchases. ``seq`` moves
# on every earn that read this state, so an earn decided on stale state is
# retried instead of posted (caps and stamp counts always hold).
member_activity = Table(
    "member_activity",
    metadata,
    Column("member_id", UUID(as_uuid=True), ForeignKey("members.id"), primary_key=True),
    Column("seq", BigInteger, nullable=False, server_default="0"),
    Column("tier_code", String(32), nullable=True),
    Column("tier_since", Date, nullable=True),
    Column("birthday_bonus_year", Integer, nullable=True),
    Column("referral_paid_at", DateTime(timezone=True), nullable=True),
)

# Per member and business day: points earned, money spent, shops visited.
# Tier windows, daily caps and cross-shop challenges read these few rows
# instead of the member's history.
member_activity_days = Table(
    "member_activity_days",
    metadata,
    Column("member_id", UUID(as_uuid=True), nullable=False),
    Column("day", Date, nullable=False),
    Column("points", BigInteger, nullable=False),
    Column("spend_minor", BigInteger, nullable=False),
    Column("partner_ids", ARRAY(UUID(as_uuid=True)), nullable=False),
    PrimaryKeyConstraint("member_id", "day"),
)

invites = Table(
    "invites",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True, server_default=UUID7),
    Column("coalition_id", UUID(as_uuid=True), ForeignKey("coalitions.id"), nullable=False),
    Column("code", String(32), nullable=False, unique=True),
    Column("label", Text, nullable=True),
    Column("max_uses", Integer, nullable=False),
    Column("uses", Integer, nullable=False, server_default="0"),
    Column("expires_at", DateTime(timezone=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("uses >= 0 AND uses <= max_uses", name="uses_within_limit"),
)

charities = Table(
    "charities",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True, server_default=UUID7),
    Column("coalition_id", UUID(as_uuid=True), ForeignKey("coalitions.id"), nullable=False),
    Column("name", Text, nullable=False),
    Column("description", Text, nullable=True),
    Column("active", Boolean, nullable=False, server_default="true"),
    Column("account_id", UUID(as_uuid=True), ForeignKey("accounts.id"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
