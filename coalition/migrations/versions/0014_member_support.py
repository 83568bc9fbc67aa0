"""Member support: MEMBER_BLOCKED at the tills, and the operator's
adjustments through the coalition's ADJUSTMENTS account.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 07:30:00.000000
"""

from alembic import op

from coalition.platform.runtime.migrate import run_sql_file

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels = depends_on = None

_KINDS = "'ISSUED', 'REDEEMED', 'PROMOTIONS', 'BREAKAGE', 'DONATIONS', 'TRANSFERS'"


def upgrade() -> None:
    op.drop_constraint(op.f("ck_accounts_kind_known"), "accounts", type_="check")
    op.create_check_constraint("kind_known", "accounts", f"kind IN ({_KINDS}, 'ADJUSTMENTS')")
    run_sql_file("013_member_support.sql")


def downgrade() -> None:
    run_sql_file("013_member_support_down.sql")
    op.execute("DELETE FROM accounts WHERE kind = 'ADJUSTMENTS'")
    op.drop_constraint(op.f("ck_accounts_kind_known"), "accounts", type_="check")
    op.create_check_constraint("kind_known", "accounts", f"kind IN ({_KINDS})")
