"""A redemption's explanation: one line with the points and the shop.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 13:45:00.000000
"""

from coalition.platform.runtime.migrate import sql_file_steps

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels = depends_on = None

upgrade, downgrade = sql_file_steps(
    up=("010_redemption_explanation.sql",), down=("010_redemption_explanation_down.sql",)
)
