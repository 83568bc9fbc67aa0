"""Purchases kept: each earn's receipt and basket lines, stored by the
posting itself, and imported receipts in the same tables; partners get a
reference (the shop's name in import files).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 14:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

from coalition.platform.runtime.migrate import run_sql_file

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("partners", sa.Column("reference", sa.Text, nullable=True))
    op.create_check_constraint(
        op.f("ck_partners_reference_length"), "partners", "reference IS NULL OR char_length(reference) BETWEEN 1 AND 64"
    )
    op.create_index("partners_reference_unique", "partners", ["coalition_id", sa.text("lower(reference)")], unique=True)
    op.create_table(
        "purchases",
        sa.Column("member_id", UUID(as_uuid=True), nullable=False),
        sa.Column("id", UUID(as_uuid=True), nullable=False, server_default=sa.text("coalition_uuid7()")),
        sa.Column("coalition_id", UUID(as_uuid=True), nullable=False),
        sa.Column("partner_id", UUID(as_uuid=True), nullable=False),
        sa.Column("source", sa.String(8), nullable=False),
        sa.Column("transaction_id", UUID(as_uuid=True), nullable=True),
        sa.Column("receipt_ref", sa.Text, nullable=True),
        sa.Column("total_minor", sa.BigInteger, nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("local_date", sa.Date, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("member_id", "id", name=op.f("pk_purchases")),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_purchases_member_id_members")),
        sa.ForeignKeyConstraint(["partner_id"], ["partners.id"], name=op.f("fk_purchases_partner_id_partners")),
        sa.CheckConstraint("source IN ('TILL', 'IMPORT')", name=op.f("ck_purchases_source_known")),
        sa.CheckConstraint(
            "(source = 'TILL') = (transaction_id IS NOT NULL)", name=op.f("ck_purchases_till_purchase_has_transaction")
        ),
        sa.CheckConstraint(
            "source = 'TILL' OR receipt_ref IS NOT NULL", name=op.f("ck_purchases_imported_purchase_has_receipt")
        ),
        sa.CheckConstraint("total_minor >= 0", name=op.f("ck_purchases_total_not_negative")),
    )
    op.create_index("purchases_by_partner_date", "purchases", ["partner_id", "local_date"])
    op.create_index("purchases_by_coalition_date", "purchases", ["coalition_id", "local_date"])
    op.create_index(
        "purchases_imported_receipt",
        "purchases",
        ["partner_id", "receipt_ref"],
        unique=True,
        postgresql_where=sa.text("source = 'IMPORT'"),
    )
    op.create_table(
        "purchase_lines",
        sa.Column("member_id", UUID(as_uuid=True), nullable=False),
        sa.Column("purchase_id", UUID(as_uuid=True), nullable=False),
        sa.Column("line_no", sa.Integer, nullable=False),
        sa.Column("sku", sa.Text, nullable=False),
        sa.Column("category", sa.Text, nullable=True),
        sa.Column("quantity", sa.Numeric(13, 6), nullable=False),
        sa.Column("amount_minor", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("member_id", "purchase_id", "line_no", name=op.f("pk_purchase_lines")),
        sa.CheckConstraint("quantity >= 0", name=op.f("ck_purchase_lines_quantity_not_negative")),
    )
    run_sql_file("011_purchases.sql")


def downgrade() -> None:
    # The batch function back to its earlier body, which calls the 11-argument ledger_earn.
    op.execute("DROP FUNCTION ledger_post_batch(jsonb)")
    op.execute(
        "DROP FUNCTION ledger_earn(uuid, text, text, text, bigint, text[], text, timestamptz, jsonb, bigint, jsonb, jsonb)"
    )
    run_sql_file("008_group_commit.sql")
    op.drop_table("purchase_lines")
    op.drop_table("purchases")
    op.drop_index("partners_reference_unique", table_name="partners")
    op.drop_constraint(op.f("ck_partners_reference_length"), "partners")
    op.drop_column("partners", "reference")
