"""A redemption's explanation: one line with the points and the shop.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 13:45:00.000000
"""

from collections.abc import Sequence

from coalition.platform.runtime.migrate import run_sql_file

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    run_sql_file("010_redemption_explanation.sql")


def downgrade() -> None:
    run_sql_file("010_redemption_explanation_down.sql")
