"""The till's hot path: the posting path's helper functions in PL/pgSQL, so
their plans are kept per connection instead of being made again on every
call; and ``ledger_post_batch`` for group commit.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 09:00:00.000000
"""

from alembic import op

from coalition.platform.runtime.migrate import sql_file_steps

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels = depends_on = None

upgrade, _restore_helpers = sql_file_steps(
    up=("007_hot_path.sql", "008_group_commit.sql"), down=("007_hot_path_down.sql",)
)


def downgrade() -> None:
    op.execute("DROP FUNCTION ledger_post_batch(jsonb)")
    _restore_helpers()
