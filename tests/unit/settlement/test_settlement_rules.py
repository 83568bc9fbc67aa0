"""Settlement arithmetic (settlement/rules.py), by hand and by property."""

from __future__ import annotations

import uuid
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from coalition.settlement.rules import Contract, DayFlows, FundingModel, Policy, settle

A, B, C = uuid.UUID(int=1), uuid.UUID(int=2), uuid.UUID(int=3)
CONTRACTS = {
    A: Contract(fee_per_point_issued=Decimal("0.001")),
    C: Contract(fee_percent_of_redemption=Decimal(2)),
}
FLOWS = DayFlows(
    issued={A: 1000, B: 500, None: 100},
    redeemed={(A, B): 300, (B, A): 100, (A, A): 200, (None, C): 50},
    donated={A: 70},
    expired={B: 40},
)


def table(settlement) -> set[tuple[object, object, str, int, int]]:  # type: ignore[no-untyped-def]
    return {(o.debtor, o.creditor, o.reason.value, o.points, o.amount_minor) for o in settlement.obligations}


def lines(settlement) -> dict[object, tuple[int, int, int, int, int, int]]:  # type: ignore[no-untyped-def]
    return {
        line.party: (line.points_issued, line.points_redeemed, line.receivable_minor, line.payable_minor,
                     line.fees_minor, line.net_minor)
        for line in settlement.lines
    }  # fmt: skip


def test_at_redemption_the_issuer_pays_the_shop_where_its_points_are_spent() -> None:
    policy = Policy(FundingModel.AT_REDEMPTION, Decimal("0.01"), Decimal(0), Decimal(0), Decimal(50), CONTRACTS)
    result = settle(FLOWS, policy, exponent=2)
    assert table(result) == {
        (A, B, "CROSS_REDEMPTION", 300, 300),  # A's points spent at B: 3.00
        (B, A, "CROSS_REDEMPTION", 100, 100),
        (None, C, "CROSS_REDEMPTION", 50, 50),  # the coalition's bonus points spent at C
        (C, None, "FEE", 50, 1),  # 2% of 0.50
        (A, None, "FEE", 1000, 100),  # 0.001 per point A issued
        (A, None, "DONATION", 70, 70),
        (B, None, "BREAKAGE", 40, 20),  # half of 40 expired points' value
    }
    assert lines(result) == {
        None: (100, 0, 191, 50, 0, 141),
        A: (1000, 300, 100, 470, 100, -370),
        B: (500, 300, 300, 120, 0, 180),
        C: (0, 50, 50, 1, 1, 49),
    }
    assert sum(line.net_minor for line in result.lines) == 0


def test_at_issuance_the_issuer_pays_the_coalition_which_pays_the_redeemer() -> None:
    policy = Policy(
        FundingModel.AT_ISSUANCE, Decimal("0.01"), Decimal("0.008"), Decimal("0.0095"), Decimal(50), CONTRACTS
    )
    result = settle(FLOWS, policy, exponent=2)
    assert table(result) == {
        (A, None, "ISSUANCE", 1000, 800),
        (B, None, "ISSUANCE", 500, 400),
        (A, None, "FEE", 1000, 100),
        (None, B, "REDEMPTION", 300, 285),  # 300 x 0.0095
        (None, A, "REDEMPTION", 300, 285),  # A's own 200 and B's 100 spent at A
        (None, C, "REDEMPTION", 50, 48),  # 47.5 cents, half-even
        (C, None, "FEE", 50, 1),  # 2% of 0.475 = 0.95 cent, rounds to 1
    }
    assert sum(line.net_minor for line in result.lines) == 0


def test_rounding_happens_once_per_obligation_half_even() -> None:
    policy = Policy(FundingModel.AT_REDEMPTION, Decimal("0.01"), Decimal(0), Decimal(0),
                    contracts={A: Contract(fee_per_point_issued=Decimal("0.0015"))})  # fmt: skip
    result = settle(DayFlows(issued={A: 333}), policy, exponent=2)
    assert table(result) == {(A, None, "FEE", 333, 50)}  # 49.95 cents
    assert result.rounding_minor == Decimal("0.05")
    even = settle(DayFlows(issued={A: 1700}), policy, exponent=2)  # 255 cents exactly
    assert table(even) == {(A, None, "FEE", 1700, 255)}


def test_a_net_reversal_turns_the_obligation_around() -> None:
    policy = Policy(FundingModel.AT_REDEMPTION, Decimal("0.01"), Decimal(0), Decimal(0))
    result = settle(DayFlows(redeemed={(A, B): -40}), policy, exponent=2)
    assert table(result) == {(B, A, "CROSS_REDEMPTION", 40, 40)}


def test_a_currency_without_minor_units() -> None:
    policy = Policy(FundingModel.AT_REDEMPTION, Decimal("1.5"), Decimal(0), Decimal(0))
    assert table(settle(DayFlows(redeemed={(A, B): 3}), policy, exponent=0)) == {
        (A, B, "CROSS_REDEMPTION", 3, 4)  # 4.5 rounds to even
    }


parties = st.sampled_from([None, A, B, C])
points = st.integers(-5000, 50_000)


@given(
    issued=st.dictionaries(parties, st.integers(0, 100_000)),
    redeemed=st.dictionaries(st.tuples(parties, st.sampled_from([A, B, C])), points),
    donated=st.dictionaries(parties, st.integers(0, 5000)),
    expired=st.dictionaries(parties, st.integers(0, 5000)),
    model=st.sampled_from(list(FundingModel)),
    value=st.decimals(min_value=Decimal("0.0001"), max_value=Decimal(5), places=4),
    fee=st.decimals(min_value=Decimal(0), max_value=Decimal("0.05"), places=4),
    percent=st.decimals(min_value=Decimal(0), max_value=Decimal(20), places=2),
)
def test_nets_always_sum_to_zero_and_every_obligation_is_positive(
    issued,
    redeemed,
    donated,
    expired,
    model,
    value,
    fee,
    percent,  # type: ignore[no-untyped-def]
) -> None:
    policy = Policy(
        model, value, value * Decimal("0.8"), value * Decimal("0.95"), percent,
        {A: Contract(fee, percent), B: Contract(fee_percent_of_redemption=percent)},
    )  # fmt: skip
    result = settle(DayFlows(issued, redeemed, donated, expired), policy, exponent=2)
    assert sum(line.net_minor for line in result.lines) == 0
    assert all(o.amount_minor >= 0 and o.points > 0 and o.debtor != o.creditor for o in result.obligations)
    assert all(abs(Decimal(o.amount_minor) - o.exact) <= Decimal("0.5") for o in result.obligations)
    assert settle(DayFlows(issued, redeemed, donated, expired), policy, exponent=2) == result
