from __future__ import annotations

from sqlalchemy import (
    ARRAY,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from coalition.platform.coalitions.tables import UUID7
from coalition.platform.runtime.database import metadata

# A partner's programme: what it configures. Its identity (name, status) is
# the platform's ``partners`` table, because the ledger needs it.
partner_programmes = Table(
    "partner_programmes",
    metadata,
    Column("partner_id", UUID(as_uuid=True), ForeignKey("partners.id"), primary_key=True),
    Column("earn_rate_per_unit", Numeric(12, 4), nullable=False),
    Column("iban", String(34), nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # Category rates, spend thresholds and the per-purchase cap (partners/earning/model.py EarnRules).
    Column("rules", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    CheckConstraint("earn_rate_per_unit >= 0", name="earn_rate_not_negative"),
)

rewards = Table(
    "rewards",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True, server_default=UUID7),
    Column("partner_id", UUID(as_uuid=True), ForeignKey("partners.id"), nullable=False, index=True),
    Column("name", Text, nullable=False),
    Column("kind", String(24), nullable=False),
    # Points a member pays for it; NULL: only given by campaigns and stamp cards.
    Column("points_cost", Integer, nullable=True),
    # FIXED_DISCOUNT: money in major units; PERCENT_DISCOUNT: percent; FREE_PRODUCT: NULL.
    Column("value", Numeric(12, 2), nullable=True),
    Column("valid_days", Integer, nullable=False),
    Column("active", Boolean, nullable=False, server_default="true"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("kind IN ('FREE_PRODUCT', 'FIXED_DISCOUNT', 'PERCENT_DISCOUNT')", name="kind_known"),
    CheckConstraint("points_cost IS NULL OR points_cost > 0", name="cost_positive"),
    CheckConstraint("valid_days > 0", name="valid_days_positive"),
)

coupons = Table(
    "coupons",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True, server_default=UUID7),
    Column("coalition_id", UUID(as_uuid=True), ForeignKey("coalitions.id"), nullable=False),
    Column("member_id", UUID(as_uuid=True), ForeignKey("members.id"), nullable=False),
    Column("partner_id", UUID(as_uuid=True), ForeignKey("partners.id"), nullable=False),
    Column("reward_id", UUID(as_uuid=True), ForeignKey("rewards.id"), nullable=False),
    Column("code", String(32), nullable=False, unique=True),
    Column("source", String(16), nullable=False),
    Column("status", String(16), nullable=False, server_default="ISSUED"),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("issued_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # The redemption that bought it, or the earn that issued it.
    Column("transaction_id", UUID(as_uuid=True), nullable=True),
    Column("used_at", DateTime(timezone=True), nullable=True),
    Column("used_receipt_ref", Text, nullable=True),
    CheckConstraint("source IN ('PURCHASE', 'CAMPAIGN', 'STAMP_CARD')", name="source_known"),
    CheckConstraint("status IN ('ISSUED', 'USED')", name="status_known"),
    CheckConstraint("(status = 'USED') = (used_at IS NOT NULL)", name="used_when_used"),
    Index("ix_coupons_member", "member_id", "issued_at"),
    Index("ix_coupons_transaction", "transaction_id"),
)

campaigns = Table(
    "campaigns",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True, server_default=UUID7),
    Column("coalition_id", UUID(as_uuid=True), ForeignKey("coalitions.id"), nullable=False),
    # NULL: a coalition-wide campaign, funded by the coalition.
    Column("partner_id", UUID(as_uuid=True), ForeignKey("partners.id"), nullable=True),
    Column("name", Text, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("starts_at", DateTime(timezone=True), nullable=False),
    Column("ends_at", DateTime(timezone=True), nullable=False),
    Column("multiplier", Numeric(6, 2), nullable=True),
    Column("bonus_points", Integer, nullable=True),
    Column("reward_id", UUID(as_uuid=True), ForeignKey("rewards.id"), nullable=True),
    Column("categories", ARRAY(Text), nullable=False, server_default="{}"),
    Column("tiers", ARRAY(Text), nullable=False, server_default="{}"),
    Column("min_spend", Numeric(12, 2), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # NULL: every member; SEGMENT or LAPSED: only that audience, as of the start.
    Column("audience_kind", String(8), nullable=True),
    Column("audience_segment", Text, nullable=True),
    # The share of the audience held out (drawn at the start) to measure the campaign.
    Column("holdout_share", Numeric(4, 3), nullable=True),
    Column("holdout_seed", LargeBinary(16), nullable=True),
    # When the audience and its holdout were drawn; NULL until the campaign starts.
    Column("drawn_at", DateTime(timezone=True), nullable=True),
    CheckConstraint("kind IN ('MULTIPLIER', 'FIXED_BONUS', 'COUPON')", name="kind_known"),
    CheckConstraint("audience_kind IN ('SEGMENT', 'LAPSED')", name="audience_known"),
    CheckConstraint("holdout_share IS NULL OR audience_kind IS NOT NULL", name="holdout_needs_audience"),
    CheckConstraint("ends_at > starts_at", name="ends_after_start"),
    Index("ix_campaigns_coalition_ends", "coalition_id", "ends_at"),
)

# An aimed campaign's audience as drawn at its start: each member and their
# arm. The member leads the key, as the till reads it by member.
campaign_members = Table(
    "campaign_members",
    metadata,
    Column("member_id", UUID(as_uuid=True), ForeignKey("members.id"), nullable=False),
    Column("campaign_id", UUID(as_uuid=True), ForeignKey("campaigns.id"), nullable=False),
    Column("arm", String(9), nullable=False),
    PrimaryKeyConstraint("member_id", "campaign_id"),
    CheckConstraint("arm IN ('TREATMENT', 'HOLDOUT')", name="arm_known"),
    Index("ix_campaign_members_campaign", "campaign_id", "arm"),
)

challenges = Table(
    "challenges",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True, server_default=UUID7),
    Column("coalition_id", UUID(as_uuid=True), ForeignKey("coalitions.id"), nullable=False, index=True),
    Column("name", Text, nullable=False),
    Column("distinct_partners", Integer, nullable=False),
    Column("period", String(8), nullable=False),
    Column("bonus_points", Integer, nullable=False),
    Column("funding", String(16), nullable=False),
    Column("partner_ids", ARRAY(UUID(as_uuid=True)), nullable=False, server_default="{}"),
    Column("starts_at", DateTime(timezone=True), nullable=False),
    Column("ends_at", DateTime(timezone=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("period IN ('WEEK', 'MONTH')", name="period_known"),
    CheckConstraint("funding IN ('COALITION', 'SHARED')", name="funding_known"),
)

# Paid once per member, challenge and period (the key refuses a second payment).
challenge_completions = Table(
    "challenge_completions",
    metadata,
    Column("member_id", UUID(as_uuid=True), nullable=False),
    Column("challenge_id", UUID(as_uuid=True), ForeignKey("challenges.id"), nullable=False),
    Column("period_start", Date, nullable=False),
    Column("transaction_id", UUID(as_uuid=True), nullable=False),
    PrimaryKeyConstraint("member_id", "challenge_id", "period_start"),
)

stamp_cards = Table(
    "stamp_cards",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True, server_default=UUID7),
    Column("partner_id", UUID(as_uuid=True), ForeignKey("partners.id"), nullable=False, index=True),
    Column("name", Text, nullable=False),
    Column("stamps_required", Integer, nullable=False),
    Column("reward_id", UUID(as_uuid=True), ForeignKey("rewards.id"), nullable=False),
    Column("categories", ARRAY(Text), nullable=False, server_default="{}"),
    Column("min_spend", Numeric(12, 2), nullable=False, server_default="0"),
    Column("active", Boolean, nullable=False, server_default="true"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("stamps_required >= 2", name="at_least_two_stamps"),
)

stamp_progress = Table(
    "stamp_progress",
    metadata,
    Column("member_id", UUID(as_uuid=True), nullable=False),
    Column("card_id", UUID(as_uuid=True), ForeignKey("stamp_cards.id"), nullable=False),
    Column("stamps", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("member_id", "card_id"),
    CheckConstraint("stamps >= 0", name="stamps_not_negative"),
)
