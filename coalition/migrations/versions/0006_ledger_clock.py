"""The posting functions read the time from ``ledger_now()``, which a seed of
past trade can set per session (``coalition.clock``); otherwise it is now().

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 13:30:00.000000
"""

from collections.abc import Sequence

from coalition.platform.runtime.migrate import run_sql_file

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    run_sql_file("009_ledger_clock.sql")


def downgrade() -> None:
    run_sql_file("009_ledger_clock_down.sql")
