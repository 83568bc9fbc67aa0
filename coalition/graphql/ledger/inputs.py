"""What tills and the operator send to post points."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry


@strawberry.input
class PurchaseLineInput:
    sku: str
    category: str | None = None
    quantity: int
    unit_price: Decimal


@strawberry.input
class EarnPointsInput:
    idempotency_key: str
    card_number: str
    amount: Decimal = strawberry.field(description="Purchase total in the coalition currency.")
    receipt_ref: str | None = None
    lines: list[PurchaseLineInput] | None = None
    occurred_at: datetime | None = None


@strawberry.input
class RedeemPointsInput:
    idempotency_key: str
    card_number: str
    points: int
    receipt_ref: str | None = None


@strawberry.input
class ReverseTransactionInput:
    idempotency_key: str
    transaction_id: strawberry.ID
    points: int | None = strawberry.field(default=None, description="Default: all that is left.")
    reason: str | None = None
