"""Campaigns aimed at a segment or the lapsed list, with a holdout drawn at
the start: the audience's members and their arm (the till keeps the treated
cards of running campaigns in memory).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 07:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("campaigns", sa.Column("audience_kind", sa.String(8), nullable=True))
    op.add_column("campaigns", sa.Column("audience_segment", sa.Text, nullable=True))
    op.add_column("campaigns", sa.Column("holdout_share", sa.Numeric(4, 3), nullable=True))
    op.add_column("campaigns", sa.Column("holdout_seed", sa.LargeBinary(16), nullable=True))
    op.add_column("campaigns", sa.Column("drawn_at", sa.DateTime(timezone=True), nullable=True))
    op.create_check_constraint(
        op.f("ck_campaigns_audience_known"), "campaigns", "audience_kind IN ('SEGMENT', 'LAPSED')"
    )
    op.create_check_constraint(
        op.f("ck_campaigns_holdout_needs_audience"),
        "campaigns",
        "holdout_share IS NULL OR audience_kind IS NOT NULL",
    )
    op.create_table(
        "campaign_members",
        sa.Column("member_id", UUID(as_uuid=True), nullable=False),
        sa.Column("campaign_id", UUID(as_uuid=True), nullable=False),
        sa.Column("arm", sa.String(9), nullable=False),
        sa.PrimaryKeyConstraint("member_id", "campaign_id", name=op.f("pk_campaign_members")),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_campaign_members_member_id_members")),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_campaign_members_campaign_id_campaigns")
        ),
        sa.CheckConstraint("arm IN ('TREATMENT', 'HOLDOUT')", name=op.f("ck_campaign_members_arm_known")),
    )
    op.create_index("ix_campaign_members_campaign", "campaign_members", ["campaign_id", "arm"])


def downgrade() -> None:
    op.drop_table("campaign_members")
    for column in ("drawn_at", "holdout_seed", "holdout_share", "audience_segment", "audience_kind"):
        op.drop_column("campaigns", column)
