"""What partners' lifecycle mutations take."""

from __future__ import annotations

from decimal import Decimal

import strawberry


@strawberry.input
class CreatePartnerInput:
    name: str
    earn_rate_per_unit: Decimal = strawberry.field(description="Points per 1.00 of currency spent.")
    iban: str | None = None
