"""Staff people, their roles, recovery codes and one-time links; the e-mail outbox.

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-02 14:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.text("coalition_uuid7()")


def upgrade() -> None:
    op.create_table(
        "staff_people",
        sa.Column("id", UUID(as_uuid=True), primary_key=True, server_default=_ID),
        sa.Column("coalition_id", UUID(as_uuid=True), sa.ForeignKey("coalitions.id"), nullable=False),
        sa.Column("email", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("password_hash", sa.Text, nullable=True),
        sa.Column("totp_secret", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index(
        "ux_staff_people_email",
        "staff_people",
        ["coalition_id", sa.text("lower(email)")],
        unique=True,
        postgresql_where=sa.text("removed_at IS NULL"),
    )
    op.create_table(
        "staff_roles",
        sa.Column("id", UUID(as_uuid=True), primary_key=True, server_default=_ID),
        sa.Column(
            "person_id", UUID(as_uuid=True), sa.ForeignKey("staff_people.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("role", sa.String(24), nullable=False),
        sa.Column("partner_id", UUID(as_uuid=True), sa.ForeignKey("partners.id"), nullable=True),
        sa.CheckConstraint(
            "role IN ('OPERATOR_ADMIN', 'OPERATOR_FINANCE', 'OWNER', 'MANAGER', 'CASHIER')", name="staff_role_known"
        ),
        sa.CheckConstraint(
            "(role IN ('OWNER', 'MANAGER', 'CASHIER')) = (partner_id IS NOT NULL)",
            name="staff_shop_roles_name_a_shop",
        ),
    )
    op.create_index(
        "ux_staff_roles_grant",
        "staff_roles",
        ["person_id", "role", "partner_id"],
        unique=True,
        postgresql_nulls_not_distinct=True,
    )
    op.create_table(
        "staff_recovery_codes",
        sa.Column("id", UUID(as_uuid=True), primary_key=True, server_default=_ID),
        sa.Column(
            "person_id", UUID(as_uuid=True), sa.ForeignKey("staff_people.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("code_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_staff_recovery_codes_person", "staff_recovery_codes", ["person_id"])
    op.create_table(
        "staff_links",
        sa.Column("token_hash", sa.LargeBinary(32), primary_key=True),
        sa.Column(
            "person_id", UUID(as_uuid=True), sa.ForeignKey("staff_people.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("purpose IN ('INVITATION', 'SIGN_IN')", name="staff_link_purpose_known"),
    )
    op.create_index("ix_staff_links_person", "staff_links", ["person_id"])
    op.create_table(
        "outbox_mails",
        sa.Column("id", UUID(as_uuid=True), primary_key=True, server_default=_ID),
        sa.Column("coalition_id", UUID(as_uuid=True), sa.ForeignKey("coalitions.id"), nullable=False),
        sa.Column("recipient", sa.Text, nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("message_id", sa.Text, nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index(
        "ix_outbox_mails_due", "outbox_mails", ["next_attempt_at"], postgresql_where=sa.text("sent_at IS NULL")
    )


def downgrade() -> None:
    for table in ("outbox_mails", "staff_links", "staff_recovery_codes", "staff_roles", "staff_people"):
        op.drop_table(table)
