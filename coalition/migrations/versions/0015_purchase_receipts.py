"""Imported receipts claimed in ``purchase_receipts`` (unique per shop and
receipt) instead of the partial unique index on purchases, which held
purchases back from being distributed by member on Citus.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 10:30:00.000000
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels = depends_on = None


def upgrade() -> None:
    op.create_table(
        "purchase_receipts",
        sa.Column("partner_id", UUID(as_uuid=True), nullable=False),
        sa.Column("receipt_ref", sa.Text, nullable=False),
        sa.Column("member_id", UUID(as_uuid=True), nullable=False),
        sa.Column("purchase_id", UUID(as_uuid=True), nullable=False),
        sa.PrimaryKeyConstraint("partner_id", "receipt_ref", name=op.f("pk_purchase_receipts")),
        sa.ForeignKeyConstraint(["partner_id"], ["partners.id"], name=op.f("fk_purchase_receipts_partner_id_partners")),
    )
    # Every imported purchase already there is claimed, erased and anonymised
    # ones too (their references were replaced by unique ones): one claim each.
    op.execute(
        "INSERT INTO purchase_receipts (partner_id, receipt_ref, member_id, purchase_id)"
        " SELECT partner_id, receipt_ref, member_id, id FROM purchases WHERE source = 'IMPORT'"
    )
    op.drop_index("purchases_imported_receipt", table_name="purchases")


def downgrade() -> None:
    op.create_index(
        "purchases_imported_receipt",
        "purchases",
        ["partner_id", "receipt_ref"],
        unique=True,
        postgresql_where=sa.text("source = 'IMPORT'"),
    )
    op.drop_table("purchase_receipts")
