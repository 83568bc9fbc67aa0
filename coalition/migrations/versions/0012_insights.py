"""Insights: each shop's settings for them (its kind, whether other shops'
reports may name it, its margin), and the daily rollups the worker keeps so
dashboard queries read small tables.

Every rollup row has a ``scope_id``: the partner's id for a shop's figures,
the coalition's own id for the whole coalition's (a member's day across all
shops is one row there, not the sum of the shops' rows).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 07:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _scoped(name: str, *columns: sa.Column[object], key: list[str], date: str = "local_date") -> None:
    op.create_table(
        name,
        sa.Column("coalition_id", UUID(as_uuid=True), nullable=False),
        sa.Column("scope_id", UUID(as_uuid=True), nullable=False),
        sa.Column(date, sa.Date, nullable=False),
        *columns,
        sa.PrimaryKeyConstraint("scope_id", date, *key),
    )
    op.create_index(f"{name}_by_coalition_date", name, ["coalition_id", date])


def upgrade() -> None:
    op.add_column("partners", sa.Column("kind", sa.Text, nullable=True))
    op.add_column("partners", sa.Column("named_in_insights", sa.Boolean, nullable=False, server_default="false"))
    op.add_column("partners", sa.Column("margin", sa.Numeric(5, 4), nullable=True))
    op.create_check_constraint(
        op.f("ck_partners_kind_length"), "partners", "kind IS NULL OR char_length(kind) BETWEEN 1 AND 40"
    )
    op.create_check_constraint(
        op.f("ck_partners_margin_fraction"), "partners", "margin IS NULL OR (margin >= 0 AND margin <= 1)"
    )
    # The rollup finds the days new purchases fall on by their insertion time:
    # a BRIN index costs the till's insert next to nothing.
    op.create_index("purchases_by_created_at", "purchases", ["created_at"], postgresql_using="brin")
    _scoped(
        "insight_member_days",
        sa.Column("member_id", UUID(as_uuid=True), nullable=False),
        sa.Column("purchases", sa.Integer, nullable=False),
        sa.Column("revenue_minor", sa.BigInteger, nullable=False),
        key=["member_id"],
    )
    _scoped(
        "insight_shop_days",
        sa.Column("purchases", sa.Integer, nullable=False),
        sa.Column("revenue_minor", sa.BigInteger, nullable=False),
        sa.Column("members", sa.Integer, nullable=False),
        sa.Column("basket_receipts", sa.Integer, nullable=False, server_default="0"),
        key=[],
    )
    _scoped(
        "insight_category_days",
        sa.Column("category", sa.Text, nullable=False),
        sa.Column("receipts", sa.Integer, nullable=False),
        key=["category"],
    )
    _scoped(
        "insight_pair_days",
        sa.Column("first_category", sa.Text, nullable=False),
        sa.Column("second_category", sa.Text, nullable=False),
        sa.Column("receipts", sa.Integer, nullable=False),
        key=["first_category", "second_category"],
    )
    _scoped(
        "insight_points_days",
        sa.Column("issued", sa.BigInteger, nullable=False),
        sa.Column("redeemed", sa.BigInteger, nullable=False),
        sa.Column("expired", sa.BigInteger, nullable=False),
        sa.Column("outstanding_delta", sa.BigInteger, nullable=False),
        key=[],
        date="business_date",
    )
    op.create_table(
        "insight_member_firsts",
        sa.Column("coalition_id", UUID(as_uuid=True), nullable=False),
        sa.Column("scope_id", UUID(as_uuid=True), nullable=False),
        sa.Column("member_id", UUID(as_uuid=True), nullable=False),
        sa.Column("first_date", sa.Date, nullable=False),
        sa.PrimaryKeyConstraint("scope_id", "member_id"),
    )
    op.create_index("insight_member_firsts_by_date", "insight_member_firsts", ["scope_id", "first_date"])
    op.create_table(
        "insight_rollup_state",
        sa.Column("coalition_id", UUID(as_uuid=True), sa.ForeignKey("coalitions.id"), primary_key=True),
        sa.Column("watermark", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rolled_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    for name in (
        "insight_rollup_state",
        "insight_member_firsts",
        "insight_points_days",
        "insight_pair_days",
        "insight_category_days",
        "insight_shop_days",
        "insight_member_days",
    ):
        op.drop_table(name)
    op.drop_index("purchases_by_created_at", table_name="purchases")
    op.drop_constraint(op.f("ck_partners_margin_fraction"), "partners", type_="check")
    op.drop_constraint(op.f("ck_partners_kind_length"), "partners", type_="check")
    for column in ("margin", "named_in_insights", "kind"):
        op.drop_column("partners", column)
