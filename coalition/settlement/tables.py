from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import UUID

from coalition.platform.coalitions.tables import UUID7
from coalition.platform.runtime.database import metadata

# How the coalition is funded; absent: AT_REDEMPTION at the point value.
settlement_policies = Table(
    "settlement_policies",
    metadata,
    Column("coalition_id", UUID(as_uuid=True), ForeignKey("coalitions.id"), primary_key=True),
    Column("funding_model", String(16), nullable=False),
    Column("issuance_price", Numeric(18, 6), nullable=False, server_default="0"),
    # NULL: the coalition's point value.
    Column("redemption_value", Numeric(18, 6), nullable=True),
    Column("breakage_percent", Numeric(5, 2), nullable=False, server_default="0"),
    # The account payouts are made from (the debtor of the SEPA credit transfer).
    Column("payer_name", Text, nullable=True),
    Column("payer_iban", String(34), nullable=True),
    Column("payer_bic", String(11), nullable=True),
    # What happens to a leaving partner's outstanding points (AT_REDEMPTION):
    # BUY_OUT: it pays their value to the coalition, which honours them from then on;
    # KEEP_LIABLE: it keeps settling them as they are spent.
    Column("exit_model", String(16), nullable=False, server_default="BUY_OUT"),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("funding_model IN ('AT_REDEMPTION', 'AT_ISSUANCE')", name="funding_model_known"),
    CheckConstraint("exit_model IN ('BUY_OUT', 'KEEP_LIABLE')", name="exit_model_known"),
    CheckConstraint("issuance_price >= 0 AND coalesce(redemption_value, 0) >= 0", name="prices_not_negative"),
    CheckConstraint("breakage_percent BETWEEN 0 AND 100", name="breakage_percent_range"),
)

# A partner's contract with the coalition: the fees it pays.
partner_contracts = Table(
    "partner_contracts",
    metadata,
    Column("partner_id", UUID(as_uuid=True), ForeignKey("partners.id"), primary_key=True),
    Column("fee_per_point_issued", Numeric(18, 6), nullable=False, server_default="0"),
    Column("fee_percent_of_redemption", Numeric(5, 2), nullable=False, server_default="0"),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("fee_per_point_issued >= 0", name="fee_not_negative"),
    CheckConstraint("fee_percent_of_redemption BETWEEN 0 AND 100", name="fee_percent_range"),
)

# One run per coalition and business day. PROVISIONAL: the day is still open
# and may be recomputed; COMPUTED: the day is closed; APPROVED: final; PAID.
settlement_runs = Table(
    "settlement_runs",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True, server_default=UUID7),
    Column("coalition_id", UUID(as_uuid=True), ForeignKey("coalitions.id"), nullable=False),
    Column("business_date", Date, nullable=False),
    Column("status", String(16), nullable=False),
    Column("funding_model", String(16), nullable=False),
    Column("currency", String(3), nullable=False),
    # What rounding each obligation once added in all, in minor units (the report shows it).
    Column("rounding_minor", Numeric(18, 6), nullable=False, server_default="0"),
    Column("computed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("approved_at", DateTime(timezone=True), nullable=True),
    Column("approved_by", Text, nullable=True),
    Column("paid_at", DateTime(timezone=True), nullable=True),
    CheckConstraint("status IN ('PROVISIONAL', 'COMPUTED', 'APPROVED', 'PAID')", name="status_known"),
    Index("uq_settlement_runs_day", "coalition_id", "business_date", unique=True),
)

settlement_lines = Table(
    "settlement_lines",
    metadata,
    Column("run_id", UUID(as_uuid=True), ForeignKey("settlement_runs.id"), nullable=False),
    Column("line", Integer, nullable=False),
    Column("partner_id", UUID(as_uuid=True), ForeignKey("partners.id"), nullable=True),  # NULL: the coalition
    Column("points_issued", BigInteger, nullable=False),
    Column("points_redeemed", BigInteger, nullable=False),
    Column("receivable_minor", BigInteger, nullable=False),
    Column("payable_minor", BigInteger, nullable=False),
    Column("fees_minor", BigInteger, nullable=False),
    Column("net_minor", BigInteger, nullable=False),
    PrimaryKeyConstraint("run_id", "line"),
    CheckConstraint("net_minor = receivable_minor - payable_minor", name="net_is_receivable_less_payable"),
)

settlement_obligations = Table(
    "settlement_obligations",
    metadata,
    Column("run_id", UUID(as_uuid=True), ForeignKey("settlement_runs.id"), nullable=False),
    Column("line", Integer, nullable=False),
    Column("debtor_partner_id", UUID(as_uuid=True), ForeignKey("partners.id"), nullable=True),
    Column("creditor_partner_id", UUID(as_uuid=True), ForeignKey("partners.id"), nullable=True),
    Column("reason", String(24), nullable=False),
    Column("points", BigInteger, nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("exact_minor", Numeric(24, 8), nullable=False),
    PrimaryKeyConstraint("run_id", "line"),
    CheckConstraint("amount_minor >= 0 AND points > 0", name="positive"),
)

# The earned-at x redeemed-at matrix of the day: whose points were spent where.
settlement_matrix = Table(
    "settlement_matrix",
    metadata,
    Column("run_id", UUID(as_uuid=True), ForeignKey("settlement_runs.id"), nullable=False),
    Column("line", Integer, nullable=False),
    Column("issuer_partner_id", UUID(as_uuid=True), nullable=True),
    Column("redeemer_partner_id", UUID(as_uuid=True), nullable=False),
    Column("points", BigInteger, nullable=False),
    PrimaryKeyConstraint("run_id", "line"),
)

# A partner that left: its outstanding points are settled in the run of the
# business day it left, under the exit model in force that day.
partner_exits = Table(
    "partner_exits",
    metadata,
    Column("partner_id", UUID(as_uuid=True), ForeignKey("partners.id"), primary_key=True),
    Column("coalition_id", UUID(as_uuid=True), ForeignKey("coalitions.id"), nullable=False),
    Column("business_date", Date, nullable=False),
    Column("exit_model", String(16), nullable=False),
    Column("reason", Text, nullable=False),
    Column("terminated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("exit_model IN ('BUY_OUT', 'KEEP_LIABLE')", name="exit_model_known"),
    Index("ix_partner_exits_day", "coalition_id", "business_date"),
)
