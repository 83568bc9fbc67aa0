"""The posting functions read the time from ``ledger_now()``, which a seed of
past trade can set per session (``coalition.clock``); otherwise it is now().

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 13:30:00.000000
"""

from coalition.platform.runtime.migrate import sql_file_steps

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels = depends_on = None

upgrade, downgrade = sql_file_steps(up=("009_ledger_clock.sql",), down=("009_ledger_clock_down.sql",))
