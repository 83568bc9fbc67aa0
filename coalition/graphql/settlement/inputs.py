"""What settlement's mutations take."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from coalition.graphql.settlement.types import ExitModel, FundingModel
from coalition.settlement.rules import ExitModel as Exit


@strawberry.input
class SettlementPolicyInput:
    funding_model: FundingModel  # type: ignore[valid-type]
    issuance_price: Decimal = Decimal(0)
    redemption_value: Decimal | None = strawberry.field(default=None, description="Default: the point value.")
    breakage_percent: Decimal = Decimal(0)
    payer_name: str | None = strawberry.field(default=None, description="The account payouts are made from.")
    payer_iban: str | None = None
    payer_bic: str | None = None
    exit_model: ExitModel = strawberry.field(  # type: ignore[valid-type]
        default=Exit.BUY_OUT,
        description="BUY_OUT: a leaving partner pays for its outstanding points in the run of the day it leaves, "
        "and the coalition honours them from then on. KEEP_LIABLE: it keeps paying as they are spent.",
    )


@strawberry.input
class PartnerContractInput:
    partner_id: strawberry.ID
    fee_per_point_issued: Decimal = Decimal(0)
    fee_percent_of_redemption: Decimal = Decimal(0)
