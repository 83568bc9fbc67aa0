from __future__ import annotations

from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer, String, Table, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB, UUID

from coalition.platform.coalitions.tables import UUID7
from coalition.platform.runtime.database import metadata

notices = Table(
    "notices",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True, server_default=UUID7),
    Column("coalition_id", UUID(as_uuid=True), ForeignKey("coalitions.id"), nullable=False),
    Column("member_id", UUID(as_uuid=True), ForeignKey("members.id"), nullable=False),
    Column("kind", String(32), nullable=False),
    # The same notice is written once however often the job runs.
    Column("dedupe_key", Text, nullable=False, unique=True),
    Column("payload", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("delivered_at", DateTime(timezone=True), nullable=True),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", Text, nullable=True),
    Index("ix_notices_member", "member_id", "created_at"),
    Index("ix_notices_undelivered", "created_at", postgresql_where=text("delivered_at IS NULL")),
)
