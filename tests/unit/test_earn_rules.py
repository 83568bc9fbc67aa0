from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coalition.partners.rules import Programme, Purchase, check_earn_rate, earn
from coalition.platform.errors import DomainError, ErrorCode


def test_base_rate_floors_and_explains() -> None:
    earned = earn(Purchase(Decimal("20.55"), "EUR"), Programme(Decimal("1.5")))
    assert earned.points == 30  # 30.825 floored
    assert earned.explanation == ["Base rate 1.5 per 1 EUR on 20.55 EUR: 30 points"]


def test_small_purchase_earns_nothing_but_is_explained() -> None:
    earned = earn(Purchase(Decimal("0.99"), "EUR"), Programme(Decimal("1")))
    assert earned.points == 0
    assert "0 points" in earned.explanation[0]


@given(
    amount=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1000000"), places=2),
    rate=st.decimals(min_value=Decimal("0"), max_value=Decimal("1000"), places=4),
)
def test_points_never_exceed_the_stated_rate(amount: Decimal, rate: Decimal) -> None:
    points = earn(Purchase(amount, "EUR"), Programme(rate)).points
    assert 0 <= points <= amount * rate < points + 1


@pytest.mark.parametrize("rate", ["-1", "1000.01", "NaN", "Infinity", "1.00001"])
def test_earn_rate_out_of_range_is_refused(rate: str) -> None:
    with pytest.raises(DomainError) as refused:
        check_earn_rate(Decimal(rate))
    assert refused.value.code == ErrorCode.VALIDATION
    assert refused.value.field == ("earnRatePerUnit",)
