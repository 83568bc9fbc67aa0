"""What the API reads from the audit log: changes newest first, keyset-paginated
on (at, id)."""

from __future__ import annotations

from coalition.platform.audit.repository import AuditEntry as AuditEntry
from coalition.platform.audit.repository import audit_page as audit_page
