"""Members' own choices (language, marketing consent) and each coalition's
retention of what identifies purchases.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 07:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "member_preferences",
        sa.Column("member_id", UUID(as_uuid=True), sa.ForeignKey("members.id"), primary_key=True),
        sa.Column("language", sa.String(8), nullable=True),
        sa.Column("marketing_consent", sa.Boolean, nullable=False, server_default=sa.text("false")),
        sa.Column("marketing_consent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "personal_data_retention",
        sa.Column("coalition_id", UUID(as_uuid=True), sa.ForeignKey("coalitions.id"), primary_key=True),
        sa.Column("months", sa.Integer, nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint(
            "months IS NULL OR months BETWEEN 1 AND 240", name=op.f("ck_personal_data_retention_months_plausible")
        ),
    )


def downgrade() -> None:
    op.drop_table("personal_data_retention")
    op.drop_table("member_preferences")
