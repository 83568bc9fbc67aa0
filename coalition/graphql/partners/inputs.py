"""What partners' lifecycle mutations take."""

from __future__ import annotations

from decimal import Decimal

import strawberry


@strawberry.input
class CreatePartnerInput:
    name: str
    earn_rate_per_unit: Decimal = strawberry.field(description="Points per 1.00 of currency spent.")
    iban: str | None = None
    reference: str | None = strawberry.field(
        default=None, description="The shop's name in receipt import files: 1-64 characters, unique in the coalition."
    )
