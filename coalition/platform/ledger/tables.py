"""Ledger tables. Their invariants live in the database: the triggers of
migrations/sql/002_ledger_invariants.sql (ledger_apply_consumption as
004_programme.sql redefines it).

Every ledger table leads with ``member_id``: a posting touches one member, so
the tables can be distributed by member later without changing a key.
"""

from __future__ import annotations

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import UUID

from coalition.platform.runtime.database import metadata

wallets = Table(
    "wallets",
    metadata,
    Column("member_id", UUID(as_uuid=True), ForeignKey("members.id"), primary_key=True),
    Column("coalition_id", UUID(as_uuid=True), ForeignKey("coalitions.id"), nullable=False),
    # Maintained by triggers from entries and lots; never written by code.
    Column("balance", BigInteger, nullable=False, server_default="0"),
    Column("lots_remaining", BigInteger, nullable=False, server_default="0"),
    CheckConstraint("balance >= 0", name="balance_not_negative"),
    CheckConstraint("lots_remaining >= 0", name="lots_remaining_not_negative"),
)

transactions = Table(
    "ledger_transactions",
    metadata,
    Column("member_id", UUID(as_uuid=True), nullable=False),
    Column("id", UUID(as_uuid=True), nullable=False),
    Column("coalition_id", UUID(as_uuid=True), ForeignKey("coalitions.id"), nullable=False),
    Column("partner_id", UUID(as_uuid=True), ForeignKey("partners.id"), nullable=True),
    Column("kind", String(16), nullable=False),
    Column("points", BigInteger, nullable=False),
    Column("business_date", Date, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("occurred_at", DateTime(timezone=True), nullable=True),
    Column("purchase_minor", BigInteger, nullable=True),
    Column("receipt_ref", Text, nullable=True),
    Column("reverses_id", UUID(as_uuid=True), nullable=True),
    Column("reason", Text, nullable=True),
    Column("explanation", ARRAY(Text), nullable=False, server_default="{}"),
    # DONATE: the charity and the points the coalition added; TRANSFER: the other member.
    Column("charity_id", UUID(as_uuid=True), nullable=True),
    Column("matched_points", BigInteger, nullable=True),
    Column("counterparty_member_id", UUID(as_uuid=True), nullable=True),
    PrimaryKeyConstraint("member_id", "id"),
    CheckConstraint(
        "kind IN ('EARN', 'REDEEM', 'REVERSAL', 'EXPIRE', 'ADJUST', 'BONUS', 'TRANSFER', 'DONATE')",
        name="kind_known",
    ),
    CheckConstraint("(kind = 'REVERSAL') = (reverses_id IS NOT NULL)", name="reversal_has_origin"),
    Index("ix_ledger_transactions_id", "id"),
    Index("ix_ledger_transactions_member_history", "member_id", text("created_at DESC"), text("id DESC")),
    Index("ix_ledger_transactions_partner_history", "partner_id", text("created_at DESC"), text("id DESC")),
    Index("ix_ledger_transactions_business_date", "coalition_id", "business_date"),
    Index(
        "ix_ledger_transactions_reverses",
        "member_id",
        "reverses_id",
        postgresql_where=text("reverses_id IS NOT NULL"),
    ),
)

entries = Table(
    "ledger_entries",
    metadata,
    Column("member_id", UUID(as_uuid=True), nullable=False),
    Column("transaction_id", UUID(as_uuid=True), nullable=False),
    Column("line", SmallInteger, nullable=False),
    # True: the entry is on this member's wallet; false: on ``account_id``.
    Column("on_wallet", Boolean, nullable=False),
    Column("account_id", UUID(as_uuid=True), ForeignKey("accounts.id"), nullable=True),
    Column("amount", BigInteger, nullable=False),
    PrimaryKeyConstraint("member_id", "transaction_id", "line"),
    CheckConstraint("on_wallet = (account_id IS NULL)", name="one_account"),
    CheckConstraint("amount <> 0", name="amount_not_zero"),
    Index("ix_ledger_entries_account", "account_id", postgresql_where=text("account_id IS NOT NULL")),
)

lots = Table(
    "lots",
    metadata,
    Column("member_id", UUID(as_uuid=True), nullable=False),
    Column("id", UUID(as_uuid=True), nullable=False),
    Column("coalition_id", UUID(as_uuid=True), ForeignKey("coalitions.id"), nullable=False),
    Column("transaction_id", UUID(as_uuid=True), nullable=False),
    # NULL issuer: the coalition funded these points (bonuses).
    Column("issuer_partner_id", UUID(as_uuid=True), ForeignKey("partners.id"), nullable=True),
    Column("points", BigInteger, nullable=False),
    # The four counters are maintained by a trigger from lot_consumptions.
    Column("remaining", BigInteger, nullable=False),
    Column("consumed", BigInteger, nullable=False, server_default="0"),
    Column("reversed", BigInteger, nullable=False, server_default="0"),
    Column("expired", BigInteger, nullable=False, server_default="0"),
    Column("available_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("member_id", "id"),
    CheckConstraint("points > 0", name="points_positive"),
    CheckConstraint(
        "remaining >= 0 AND consumed >= 0 AND reversed >= 0 AND expired >= 0",
        name="counters_not_negative",
    ),
    CheckConstraint("remaining + consumed + reversed + expired = points", name="points_accounted"),
    Index(
        "ix_lots_open",
        "member_id",
        "expires_at",
        "available_at",
        "id",
        postgresql_where=text("remaining > 0"),
    ),
    Index("ix_lots_transaction", "member_id", "transaction_id"),
    # A partner's outstanding points: what it issued that is still in wallets.
    Index("ix_lots_outstanding", "issuer_partner_id", postgresql_where=text("remaining > 0")),
    # The nightly expiry finds what is due without scanning every wallet.
    Index("ix_lots_expiring", "coalition_id", "expires_at", postgresql_where=text("remaining > 0")),
)

lot_consumptions = Table(
    "lot_consumptions",
    metadata,
    Column("member_id", UUID(as_uuid=True), nullable=False),
    Column("transaction_id", UUID(as_uuid=True), nullable=False),
    Column("lot_id", UUID(as_uuid=True), nullable=False),
    Column("issuer_partner_id", UUID(as_uuid=True), nullable=True),
    # Where the points were spent (the redeeming partner), if anywhere.
    Column("partner_id", UUID(as_uuid=True), nullable=True),
    Column("business_date", Date, nullable=False),
    # REDEEM: spent; RESTORE: a reversed redemption gives them back;
    # CLAWBACK: a reversed earn takes them back; EXPIRE: breakage;
    # DONATE: given to a charity; TRANSFER: given to another member.
    Column("kind", String(16), nullable=False),
    Column("points", BigInteger, nullable=False),
    PrimaryKeyConstraint("member_id", "transaction_id", "lot_id"),
    CheckConstraint("kind IN ('REDEEM', 'RESTORE', 'CLAWBACK', 'EXPIRE', 'DONATE', 'TRANSFER')", name="kind_known"),
    CheckConstraint("points > 0", name="points_positive"),
    Index("ix_lot_consumptions_lot", "member_id", "lot_id"),
    Index("ix_lot_consumptions_business_date", "business_date"),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    # The partner for till requests; the coalition for operator requests.
    Column("scope_id", UUID(as_uuid=True), nullable=False),
    Column("key", String(128), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("member_id", UUID(as_uuid=True), nullable=False),
    Column("transaction_id", UUID(as_uuid=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("scope_id", "key"),
)
