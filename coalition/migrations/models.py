"""Every table, imported so that Alembic sees the whole schema."""

from coalition.insights import tables as insight_tables
from coalition.partners import tables as partner_tables
from coalition.platform.audit import tables as audit_tables
from coalition.platform.auth import tables as auth_tables
from coalition.platform.coalitions import tables as coalition_tables
from coalition.platform.ledger import tables as ledger_tables
from coalition.platform.members import tables as member_tables
from coalition.platform.notices import tables as notice_tables
from coalition.platform.outbox import tables as outbox_tables
from coalition.platform.programme import tables as programme_tables
from coalition.platform.runtime.database import metadata
from coalition.platform.staff import tables as staff_tables
from coalition.settlement import tables as settlement_tables

__all__ = [
    "audit_tables",
    "auth_tables",
    "coalition_tables",
    "insight_tables",
    "ledger_tables",
    "member_tables",
    "metadata",
    "notice_tables",
    "outbox_tables",
    "partner_tables",
    "programme_tables",
    "settlement_tables",
    "staff_tables",
]
