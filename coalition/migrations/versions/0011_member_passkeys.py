"""Members' passkeys (WebAuthn credentials) for signing in to the wallet.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 07:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "member_passkeys",
        sa.Column("id", UUID(as_uuid=True), primary_key=True, server_default=sa.text("coalition_uuid7()")),
        sa.Column("member_id", UUID(as_uuid=True), sa.ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
        sa.Column("credential_id", sa.LargeBinary, nullable=False),
        sa.Column("public_key", sa.LargeBinary, nullable=False),
        sa.Column("sign_count", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
    )
    # A credential id is the authenticator's random handle: one member's, once.
    op.create_index("ux_member_passkeys_credential", "member_passkeys", ["credential_id"], unique=True)
    op.create_index("ix_member_passkeys_member", "member_passkeys", ["member_id"])


def downgrade() -> None:
    op.drop_table("member_passkeys")
