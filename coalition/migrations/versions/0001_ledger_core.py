"""Ledger core: coalitions, partners, members, wallets, the double-entry ledger, lots,
credentials and the audit log, with the SQL that enforces the ledger's invariants.

Revision ID: 0001
Revises:
Create Date: 2026-11-22 21:41:08.698021
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from coalition.platform.runtime.migrate import run_sql_file

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    run_sql_file("001_ids.sql")
    op.create_table(
        "coalitions",
        sa.Column("id", sa.UUID(), server_default=sa.text("coalition_uuid7()"), nullable=False),
        sa.Column("slug", sa.String(length=63), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("points_name", sa.Text(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("point_value", sa.Numeric(precision=18, scale=6), nullable=False),
        sa.Column("timezone", sa.Text(), nullable=False),
        sa.Column("pending_days", sa.Integer(), server_default="0", nullable=False),
        sa.Column("expiry_months", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "expiry_months IS NULL OR expiry_months > 0", name=op.f("ck_coalitions_expiry_months_positive")
        ),
        sa.CheckConstraint("pending_days >= 0", name=op.f("ck_coalitions_pending_days_not_negative")),
        sa.CheckConstraint("point_value > 0", name=op.f("ck_coalitions_point_value_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coalitions")),
        sa.UniqueConstraint("slug", name=op.f("uq_coalitions_slug")),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("scope_id", sa.UUID(), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.UUID(), nullable=False),
        sa.Column("transaction_id", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("scope_id", "key", name=op.f("pk_idempotency_keys")),
    )
    op.create_table(
        "lot_consumptions",
        sa.Column("member_id", sa.UUID(), nullable=False),
        sa.Column("transaction_id", sa.UUID(), nullable=False),
        sa.Column("lot_id", sa.UUID(), nullable=False),
        sa.Column("issuer_partner_id", sa.UUID(), nullable=True),
        sa.Column("partner_id", sa.UUID(), nullable=True),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('REDEEM', 'RESTORE', 'CLAWBACK', 'EXPIRE')", name=op.f("ck_lot_consumptions_kind_known")
        ),
        sa.CheckConstraint("points > 0", name=op.f("ck_lot_consumptions_points_positive")),
        sa.PrimaryKeyConstraint("member_id", "transaction_id", "lot_id", name=op.f("pk_lot_consumptions")),
    )
    op.create_index("ix_lot_consumptions_business_date", "lot_consumptions", ["business_date"], unique=False)
    op.create_index("ix_lot_consumptions_lot", "lot_consumptions", ["member_id", "lot_id"], unique=False)
    op.create_table(
        "audit_log",
        sa.Column("id", sa.UUID(), server_default=sa.text("coalition_uuid7()"), nullable=False),
        sa.Column("coalition_id", sa.UUID(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("subject_id", sa.UUID(), nullable=True),
        sa.Column("before", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("after", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["coalition_id"], ["coalitions.id"], name=op.f("fk_audit_log_coalition_id_coalitions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index("ix_audit_log_coalition_at", "audit_log", ["coalition_id", "at"], unique=False)
    op.create_table(
        "partners",
        sa.Column("id", sa.UUID(), server_default=sa.text("coalition_uuid7()"), nullable=False),
        sa.Column("coalition_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="INVITED", nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "status IN ('INVITED', 'ACTIVE', 'SUSPENDED', 'TERMINATED')",
            name=op.f("ck_partners_status_known"),
        ),
        sa.ForeignKeyConstraint(["coalition_id"], ["coalitions.id"], name=op.f("fk_partners_coalition_id_coalitions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partners")),
    )
    op.create_index(op.f("ix_partners_coalition_id"), "partners", ["coalition_id"], unique=False)
    op.create_table(
        "accounts",
        sa.Column("id", sa.UUID(), server_default=sa.text("coalition_uuid7()"), nullable=False),
        sa.Column("coalition_id", sa.UUID(), nullable=False),
        sa.Column("partner_id", sa.UUID(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.CheckConstraint(
            "(kind IN ('ISSUED', 'REDEEMED')) = (partner_id IS NOT NULL)",
            name=op.f("ck_accounts_partner_accounts"),
        ),
        sa.CheckConstraint(
            "kind IN ('ISSUED', 'REDEEMED', 'PROMOTIONS', 'BREAKAGE')", name=op.f("ck_accounts_kind_known")
        ),
        sa.ForeignKeyConstraint(["coalition_id"], ["coalitions.id"], name=op.f("fk_accounts_coalition_id_coalitions")),
        sa.ForeignKeyConstraint(["partner_id"], ["partners.id"], name=op.f("fk_accounts_partner_id_partners")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
    )
    op.create_table(
        "ledger_transactions",
        sa.Column("member_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("coalition_id", sa.UUID(), nullable=False),
        sa.Column("partner_id", sa.UUID(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("purchase_minor", sa.BigInteger(), nullable=True),
        sa.Column("receipt_ref", sa.Text(), nullable=True),
        sa.Column("reverses_id", sa.UUID(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("explanation", sa.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.CheckConstraint(
            "(kind = 'REVERSAL') = (reverses_id IS NOT NULL)",
            name=op.f("ck_ledger_transactions_reversal_has_origin"),
        ),
        sa.CheckConstraint(
            "kind IN ('EARN', 'REDEEM', 'REVERSAL', 'EXPIRE', 'ADJUST', 'BONUS', 'TRANSFER', 'DONATE')",
            name=op.f("ck_ledger_transactions_kind_known"),
        ),
        sa.ForeignKeyConstraint(
            ["coalition_id"], ["coalitions.id"], name=op.f("fk_ledger_transactions_coalition_id_coalitions")
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partners.id"], name=op.f("fk_ledger_transactions_partner_id_partners")
        ),
        sa.PrimaryKeyConstraint("member_id", "id", name=op.f("pk_ledger_transactions")),
    )
    op.create_index(
        "ix_ledger_transactions_business_date",
        "ledger_transactions",
        ["coalition_id", "business_date"],
        unique=False,
    )
    op.create_index("ix_ledger_transactions_id", "ledger_transactions", ["id"], unique=False)
    op.create_index(
        "ix_ledger_transactions_member_history",
        "ledger_transactions",
        ["member_id", sa.literal_column("created_at DESC"), sa.literal_column("id DESC")],
        unique=False,
    )
    op.create_index(
        "ix_ledger_transactions_partner_history",
        "ledger_transactions",
        ["partner_id", sa.literal_column("created_at DESC"), sa.literal_column("id DESC")],
        unique=False,
    )
    op.create_index(
        "ix_ledger_transactions_reverses",
        "ledger_transactions",
        ["member_id", "reverses_id"],
        unique=False,
        postgresql_where=sa.text("reverses_id IS NOT NULL"),
    )
    op.create_table(
        "lots",
        sa.Column("member_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("coalition_id", sa.UUID(), nullable=False),
        sa.Column("transaction_id", sa.UUID(), nullable=False),
        sa.Column("issuer_partner_id", sa.UUID(), nullable=True),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("remaining", sa.BigInteger(), nullable=False),
        sa.Column("consumed", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("reversed", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("expired", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("available_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("points > 0", name=op.f("ck_lots_points_positive")),
        sa.CheckConstraint("remaining + consumed + reversed + expired = points", name=op.f("ck_lots_points_accounted")),
        sa.CheckConstraint(
            "remaining >= 0 AND consumed >= 0 AND reversed >= 0 AND expired >= 0",
            name=op.f("ck_lots_counters_not_negative"),
        ),
        sa.ForeignKeyConstraint(["coalition_id"], ["coalitions.id"], name=op.f("fk_lots_coalition_id_coalitions")),
        sa.ForeignKeyConstraint(
            ["issuer_partner_id"], ["partners.id"], name=op.f("fk_lots_issuer_partner_id_partners")
        ),
        sa.PrimaryKeyConstraint("member_id", "id", name=op.f("pk_lots")),
    )
    op.create_index(
        "ix_lots_open",
        "lots",
        ["member_id", "expires_at", "available_at", "id"],
        unique=False,
        postgresql_where=sa.text("remaining > 0"),
    )
    op.create_index("ix_lots_transaction", "lots", ["member_id", "transaction_id"], unique=False)
    op.create_table(
        "members",
        sa.Column("id", sa.UUID(), server_default=sa.text("coalition_uuid7()"), nullable=False),
        sa.Column("coalition_id", sa.UUID(), nullable=False),
        sa.Column("card_number", sa.String(length=32), nullable=False),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), server_default="ACTIVE", nullable=False),
        sa.Column("enrolled_by_partner_id", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("status IN ('ACTIVE', 'BLOCKED', 'ERASED')", name=op.f("ck_members_status_known")),
        sa.ForeignKeyConstraint(["coalition_id"], ["coalitions.id"], name=op.f("fk_members_coalition_id_coalitions")),
        sa.ForeignKeyConstraint(
            ["enrolled_by_partner_id"],
            ["partners.id"],
            name=op.f("fk_members_enrolled_by_partner_id_partners"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_members")),
    )
    op.create_index("uq_members_card", "members", ["coalition_id", "card_number"], unique=True)
    op.create_index(
        "uq_members_email",
        "members",
        ["coalition_id", sa.literal_column("lower(email)")],
        unique=True,
        postgresql_where=sa.text("email IS NOT NULL"),
    )
    op.create_index(
        "uq_members_phone",
        "members",
        ["coalition_id", "phone"],
        unique=True,
        postgresql_where=sa.text("phone IS NOT NULL"),
    )
    op.create_table(
        "partner_programmes",
        sa.Column("partner_id", sa.UUID(), nullable=False),
        sa.Column("earn_rate_per_unit", sa.Numeric(precision=12, scale=4), nullable=False),
        sa.Column("iban", sa.String(length=34), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("earn_rate_per_unit >= 0", name=op.f("ck_partner_programmes_earn_rate_not_negative")),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partners.id"], name=op.f("fk_partner_programmes_partner_id_partners")
        ),
        sa.PrimaryKeyConstraint("partner_id", name=op.f("pk_partner_programmes")),
    )
    op.create_table(
        "credentials",
        sa.Column("id", sa.UUID(), server_default=sa.text("coalition_uuid7()"), nullable=False),
        sa.Column("coalition_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=True),
        sa.Column("partner_id", sa.UUID(), nullable=True),
        sa.Column("member_id", sa.UUID(), nullable=True),
        sa.Column("token_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("label", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("(kind = 'MEMBER') = (member_id IS NOT NULL)", name=op.f("ck_credentials_member_tokens")),
        sa.CheckConstraint(
            "(kind = 'PARTNER') = (partner_id IS NOT NULL AND role IN ('POS', 'MANAGER'))",
            name=op.f("ck_credentials_partner_keys"),
        ),
        sa.CheckConstraint("kind IN ('OPERATOR', 'PARTNER', 'MEMBER')", name=op.f("ck_credentials_kind_known")),
        sa.ForeignKeyConstraint(
            ["coalition_id"], ["coalitions.id"], name=op.f("fk_credentials_coalition_id_coalitions")
        ),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_credentials_member_id_members")),
        sa.ForeignKeyConstraint(["partner_id"], ["partners.id"], name=op.f("fk_credentials_partner_id_partners")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credentials")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_credentials_token_hash")),
    )
    op.create_table(
        "ledger_entries",
        sa.Column("member_id", sa.UUID(), nullable=False),
        sa.Column("transaction_id", sa.UUID(), nullable=False),
        sa.Column("line", sa.SmallInteger(), nullable=False),
        sa.Column("on_wallet", sa.Boolean(), nullable=False),
        sa.Column("account_id", sa.UUID(), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("amount <> 0", name=op.f("ck_ledger_entries_amount_not_zero")),
        sa.CheckConstraint("on_wallet = (account_id IS NULL)", name=op.f("ck_ledger_entries_one_account")),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_ledger_entries_account_id_accounts")),
        sa.PrimaryKeyConstraint("member_id", "transaction_id", "line", name=op.f("pk_ledger_entries")),
    )
    op.create_index(
        "ix_ledger_entries_account",
        "ledger_entries",
        ["account_id"],
        unique=False,
        postgresql_where=sa.text("account_id IS NOT NULL"),
    )
    op.create_table(
        "wallets",
        sa.Column("member_id", sa.UUID(), nullable=False),
        sa.Column("coalition_id", sa.UUID(), nullable=False),
        sa.Column("balance", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("lots_remaining", sa.BigInteger(), server_default="0", nullable=False),
        sa.CheckConstraint("balance >= 0", name=op.f("ck_wallets_balance_not_negative")),
        sa.CheckConstraint("lots_remaining >= 0", name=op.f("ck_wallets_lots_remaining_not_negative")),
        sa.ForeignKeyConstraint(["coalition_id"], ["coalitions.id"], name=op.f("fk_wallets_coalition_id_coalitions")),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_wallets_member_id_members")),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_wallets")),
    )
    run_sql_file("002_ledger_invariants.sql")
    run_sql_file("003_postings.sql")


def downgrade() -> None:
    for function in (
        "ledger_reverse",
        "ledger_redeem",
        "ledger_earn",
        "ledger_business_date",
        "ledger_partner_account",
        "ledger_till_member",
        "ledger_claim_key",
        "ledger_refusal",
        "ledger_replay",
        "ledger_result",
        "ledger_wallet_figures",
    ):
        op.execute(f"DROP FUNCTION IF EXISTS {function} CASCADE")
    op.execute("DROP TYPE IF EXISTS ledger_posting")
    op.drop_table("wallets")
    op.drop_index(
        "ix_ledger_entries_account",
        table_name="ledger_entries",
        postgresql_where=sa.text("account_id IS NOT NULL"),
    )
    op.drop_table("ledger_entries")
    op.drop_table("credentials")
    op.drop_table("partner_programmes")
    op.drop_index("uq_members_phone", table_name="members", postgresql_where=sa.text("phone IS NOT NULL"))
    op.drop_index("uq_members_email", table_name="members", postgresql_where=sa.text("email IS NOT NULL"))
    op.drop_index("uq_members_card", table_name="members")
    op.drop_table("members")
    op.drop_index("ix_lots_transaction", table_name="lots")
    op.drop_index("ix_lots_open", table_name="lots", postgresql_where=sa.text("remaining > 0"))
    op.drop_table("lots")
    op.drop_index(
        "ix_ledger_transactions_reverses",
        table_name="ledger_transactions",
        postgresql_where=sa.text("reverses_id IS NOT NULL"),
    )
    op.drop_index("ix_ledger_transactions_partner_history", table_name="ledger_transactions")
    op.drop_index("ix_ledger_transactions_member_history", table_name="ledger_transactions")
    op.drop_index("ix_ledger_transactions_id", table_name="ledger_transactions")
    op.drop_index("ix_ledger_transactions_business_date", table_name="ledger_transactions")
    op.drop_table("ledger_transactions")
    op.drop_table("accounts")
    op.drop_index(op.f("ix_partners_coalition_id"), table_name="partners")
    op.drop_table("partners")
    op.drop_index("ix_audit_log_coalition_at", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_index("ix_lot_consumptions_lot", table_name="lot_consumptions")
    op.drop_index("ix_lot_consumptions_business_date", table_name="lot_consumptions")
    op.drop_table("lot_consumptions")
    op.drop_table("idempotency_keys")
    op.drop_table("coalitions")
    for function in (
        "ledger_check_wallet",
        "ledger_apply_consumption",
        "ledger_apply_new_lot",
        "ledger_apply_wallet_entry",
        "ledger_check_balanced",
        "ledger_forbid_direct_update",
        "ledger_forbid_change",
        "coalition_uuid7",
    ):
        op.execute(f"DROP FUNCTION IF EXISTS {function} CASCADE")
