"""Small hand-made purchase histories for the insights formulas."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from coalition.insights.model import Line, Purchase

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
BAKERY, BUTCHER, FLORIST, GROCER = (uuid.UUID(int=1000 + n) for n in range(4))


def member(number: int) -> uuid.UUID:
    return uuid.UUID(int=number)


def buy(who: int, shop: uuid.UUID, at: str, value_minor: int = 1000, *categories: str) -> Purchase:
    """A purchase at ``at`` (ISO 8601 with an offset); one line per category, the value on the first."""
    lines = tuple(
        Line(f"sku-{category}", category, Decimal(1), value_minor if index == 0 else 0)
        for index, category in enumerate(categories)
    )
    return Purchase(member(who), shop, datetime.fromisoformat(at), value_minor, lines)
