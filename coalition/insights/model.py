"""The shapes insights read and answer with: plain values, no I/O.

Money is an integer in the currency's minor units; times are timezone-aware;
ratios are floats (shares, rates and lifts are not money). Member and partner
ids are UUIDs, which order as PostgreSQL orders its ``uuid`` type (byte by
byte), so a tie broken by id breaks the same way in Python and in SQL.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from zoneinfo import ZoneInfo


def divide_to_minor(amount_minor: int | Decimal, count: int) -> int:
    """An amount in minor units divided by a count, rounded half-even to a whole minor unit."""
    return int((Decimal(amount_minor) / Decimal(count)).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


@dataclass(frozen=True)
class Line:
    """One basket line of a receipt; ``amount_minor`` is negative for a return."""

    sku: str
    category: str
    quantity: Decimal
    amount_minor: int


@dataclass(frozen=True)
class Purchase:
    """One receipt of a member at a shop: every receipt is one purchase, zero-valued included."""

    member_id: uuid.UUID
    partner_id: uuid.UUID
    occurred_at: datetime
    value_minor: int
    lines: tuple[Line, ...] = ()

    def __post_init__(self) -> None:
        if self.occurred_at.utcoffset() is None:
            raise ValueError("a purchase's occurred_at must be timezone-aware")

    def date_in(self, zone: ZoneInfo) -> date:
        """The purchase's date: its moment as a calendar date in the coalition's time zone."""
        return self.occurred_at.astimezone(zone).date()


@dataclass(frozen=True)
class PointsFigures:
    """The points side of a KPI range, summed by the ledger (not derivable from receipts)."""

    issued: int = 0
    redeemed: int = 0
    expired: int = 0
    outstanding: int = 0


@dataclass(frozen=True)
class KpiFigures:
    from_: date
    to: date
    active_members: int
    new_members: int
    purchases: int
    revenue_minor: int
    average_order_value_minor: int | None
    purchase_frequency: float | None
    repeat_rate: float | None
    points_issued: int
    points_redeemed: int
    points_expired: int
    redemption_rate: float | None
    outstanding_points: int
    outstanding_liability_minor: int


@dataclass(frozen=True)
class KpiReport:
    period: KpiFigures
    previous: KpiFigures


@dataclass(frozen=True)
class CohortRow:
    month: date
    size: int
    retained: tuple[float, ...]


@dataclass(frozen=True)
class SegmentCount:
    segment: str
    members: int
    revenue_share: float


@dataclass(frozen=True)
class MemberScore:
    """A member's recency and frequency quintile scores (5 = best) as of a date."""

    member_id: uuid.UUID
    last_purchase: date
    purchases: int
    revenue_minor: int
    recency_score: int
    frequency_score: int
    segment: str


@dataclass(frozen=True)
class LapsedMember:
    member_id: uuid.UUID
    purchases: int
    last_purchase: date
    median_gap_days: Decimal
    days_since_last: int


@dataclass(frozen=True)
class ShopListing:
    """How another shop may appear in a shop's report: by name only if it agreed, else by its kind."""

    partner_id: uuid.UUID
    name: str
    kind: str
    agreed_to_be_named: bool

    @property
    def label(self) -> str:
        return self.name if self.agreed_to_be_named else self.kind


@dataclass(frozen=True)
class CrossShopRow:
    partner_id: uuid.UUID | None  # None when the other shop did not agree to be named
    label: str
    shared_members: int
    share: float
    lift: float


@dataclass(frozen=True)
class CrossShopReport:
    members: int
    rows: tuple[CrossShopRow, ...]


@dataclass(frozen=True)
class BasketRule:
    antecedent: str
    consequent: str
    receipts: int
    support: float
    confidence: float
    lift: float


@dataclass(frozen=True)
class WindowFigures:
    """Spend and visits of the counted members in one window."""

    spend_minor: int
    visits: int

    def spend_per_member_minor(self, members: int) -> int | None:
        """Rounded half-even to a whole minor unit; None for no members."""
        return divide_to_minor(self.spend_minor, members) if members > 0 else None

    def visits_per_member(self, members: int) -> float | None:
        return self.visits / members if members > 0 else None


@dataclass(frozen=True)
class BeforeAfter:
    """A shop's members before and after they joined, in windows of ``window_days`` each."""

    window_days: int
    members: int
    before: WindowFigures
    after: WindowFigures
    member_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)

    @property
    def extra_spend_minor(self) -> int:
        return self.after.spend_minor - self.before.spend_minor
