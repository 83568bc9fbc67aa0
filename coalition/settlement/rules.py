"""Who owes whom for one business day, as plain values and pure functions.

Input: the day's flows of points, already summed per party by the database
(issued per issuer, the earned-at x redeemed-at matrix, donations and
expiries per issuer). Output: gross obligations with reasons, rounded once
each (half-even, to the currency's minor unit), and one line per party whose
net is receivable - payable. Every obligation adds to one party what it takes
from another, so the nets always sum to exactly zero.

A party is a partner's id, or None for the coalition itself.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum

Party = uuid.UUID | None


class FundingModel(StrEnum):
    AT_REDEMPTION = "AT_REDEMPTION"  # the issuer pays the redeemer when its points are spent elsewhere
    AT_ISSUANCE = "AT_ISSUANCE"  # the issuer pays the coalition on issuing; the coalition pays redeemers


class Reason(StrEnum):
    CROSS_REDEMPTION = "CROSS_REDEMPTION"
    ISSUANCE = "ISSUANCE"
    REDEMPTION = "REDEMPTION"
    FEE = "FEE"
    BREAKAGE = "BREAKAGE"
    DONATION = "DONATION"
    EXIT = "EXIT"


class ExitModel(StrEnum):
    BUY_OUT = "BUY_OUT"  # a leaving issuer pays for its outstanding points; the coalition honours them
    KEEP_LIABLE = "KEEP_LIABLE"  # a leaving issuer keeps paying for its points as they are spent


@dataclass(frozen=True)
class Contract:
    """What one partner pays the coalition, besides the points themselves."""

    fee_per_point_issued: Decimal = Decimal(0)  # money per point issued
    fee_percent_of_redemption: Decimal = Decimal(0)  # percent of the value redeemed at this partner


@dataclass(frozen=True)
class Policy:
    model: FundingModel
    point_value: Decimal  # V: what a point is worth at any till
    issuance_price: Decimal  # P_iss, AT_ISSUANCE only
    redemption_value: Decimal  # V_red, AT_ISSUANCE only
    # AT_REDEMPTION: the share of expired points' value the issuer pays the
    # coalition (0: the issuer keeps its breakage). AT_ISSUANCE: breakage
    # stays with the coalition, which was paid at issuance.
    breakage_percent: Decimal = Decimal(0)
    contracts: dict[uuid.UUID, Contract] = field(default_factory=dict)
    exit_model: ExitModel = ExitModel.BUY_OUT

    def contract(self, partner: Party) -> Contract:
        return self.contracts.get(partner, Contract()) if partner is not None else Contract()


@dataclass(frozen=True)
class DayFlows:
    """Points that moved on one business day, summed per party (net of reversals)."""

    issued: dict[Party, int] = field(default_factory=dict)
    # (issuer, redeemer) -> points of ``issuer`` spent at ``redeemer``
    redeemed: dict[tuple[Party, uuid.UUID], int] = field(default_factory=dict)
    donated: dict[Party, int] = field(default_factory=dict)  # per issuer
    expired: dict[Party, int] = field(default_factory=dict)  # per issuer
    # Partners that left this day and are bought out: their points still
    # outstanding at the end of the day. From the next day on, their points
    # are the coalition's (the database reports them with issuer None).
    bought_out: dict[uuid.UUID, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Obligation:
    debtor: Party
    creditor: Party
    reason: Reason
    points: int
    amount_minor: int  # rounded once, half-even
    exact: Decimal  # before rounding, in minor units, for the report


@dataclass(frozen=True)
class Line:
    party: Party
    points_issued: int
    points_redeemed: int
    receivable_minor: int
    payable_minor: int
    fees_minor: int

    @property
    def net_minor(self) -> int:
        return self.receivable_minor - self.payable_minor


@dataclass(frozen=True)
class Settlement:
    obligations: tuple[Obligation, ...]
    lines: tuple[Line, ...]

    @property
    def rounding_minor(self) -> Decimal:
        """What rounding each obligation once added or removed, in minor units (for the report)."""
        return sum((Decimal(o.amount_minor) - o.exact for o in self.obligations), Decimal(0))


def _money(points: int | Decimal, rate: Decimal, exponent: int) -> tuple[int, Decimal]:
    exact = Decimal(points) * rate
    minor = int((exact.scaleb(exponent)).to_integral_value(rounding=ROUND_HALF_EVEN))
    return minor, exact.scaleb(exponent)


def settle(flows: DayFlows, policy: Policy, exponent: int) -> Settlement:
    """The day's obligations and lines. ``exponent``: the currency's minor-unit digits."""
    obligations: list[Obligation] = []

    def owe(debtor: Party, creditor: Party, reason: Reason, points: int, rate: Decimal) -> None:
        if debtor == creditor or points == 0 or rate == 0:
            return
        if points < 0:  # a net reversal: the money flows back
            debtor, creditor, points = creditor, debtor, -points
        minor, exact = _money(points, rate, exponent)
        if minor or exact:
            obligations.append(Obligation(debtor, creditor, reason, points, minor, exact))

    at_redemption = policy.model is FundingModel.AT_REDEMPTION
    spent_at: dict[uuid.UUID, int] = defaultdict(int)
    for (issuer, redeemer), points in sorted(flows.redeemed.items(), key=_key):
        spent_at[redeemer] += points
        if at_redemption:
            owe(issuer, redeemer, Reason.CROSS_REDEMPTION, points, policy.point_value)
    value = policy.point_value if at_redemption else policy.redemption_value
    for redeemer, points in sorted(spent_at.items(), key=_key):
        if not at_redemption:
            owe(None, redeemer, Reason.REDEMPTION, points, policy.redemption_value)
        owe(redeemer, None, Reason.FEE, points, value * policy.contract(redeemer).fee_percent_of_redemption / 100)
    for issuer, points in sorted(flows.issued.items(), key=_key):
        if issuer is None:
            continue  # the coalition's own bonuses: it pays when they are spent
        if policy.model is FundingModel.AT_ISSUANCE:
            owe(issuer, None, Reason.ISSUANCE, points, policy.issuance_price)
        owe(issuer, None, Reason.FEE, points, policy.contract(issuer).fee_per_point_issued)
    for issuer, points in sorted(flows.donated.items(), key=_key):
        # Donated points leave the shops' circle: under AT_REDEMPTION their
        # issuer pays the coalition, which passes them on to the charity.
        if policy.model is FundingModel.AT_REDEMPTION and issuer is not None:
            owe(issuer, None, Reason.DONATION, points, policy.point_value)
    for issuer, points in sorted(flows.expired.items(), key=_key):
        if policy.model is FundingModel.AT_REDEMPTION and issuer is not None:
            owe(issuer, None, Reason.BREAKAGE, points, policy.point_value * policy.breakage_percent / 100)
    for partner, points in sorted(flows.bought_out.items(), key=_key):
        # AT_ISSUANCE: the coalition was paid when the points were issued.
        if policy.model is FundingModel.AT_REDEMPTION:
            owe(partner, None, Reason.EXIT, points, policy.point_value)

    return Settlement(tuple(obligations), _lines(flows, obligations))


def _key(item: tuple[object, int]) -> str:
    return str(item[0])


def _lines(flows: DayFlows, obligations: list[Obligation]) -> tuple[Line, ...]:
    issued: dict[Party, int] = defaultdict(int, flows.issued)
    redeemed: dict[Party, int] = defaultdict(int)
    for (_, redeemer), points in flows.redeemed.items():
        redeemed[redeemer] += points
    receivable: dict[Party, int] = defaultdict(int)
    payable: dict[Party, int] = defaultdict(int)
    fees: dict[Party, int] = defaultdict(int)
    for o in obligations:
        receivable[o.creditor] += o.amount_minor
        payable[o.debtor] += o.amount_minor
        if o.reason is Reason.FEE:
            fees[o.debtor] += o.amount_minor
    parties = set(issued) | set(redeemed) | set(receivable) | set(payable)
    parties |= {issuer for issuer in flows.expired} | {issuer for issuer in flows.donated}
    ordered = sorted(parties, key=lambda p: (p is not None, str(p)))  # the coalition first
    return tuple(
        Line(p, issued[p], redeemed[p], receivable[p], payable[p], fees[p])
        for p in ordered
        if issued[p] or redeemed[p] or receivable[p] or payable[p] or p in flows.expired or p in flows.donated
    )
