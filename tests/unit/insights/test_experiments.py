"""Experiments (insights/experiments.py): the holdout draw and the statistics, against hand formulas."""

from __future__ import annotations

import math
import statistics
import uuid
from decimal import Decimal

import pytest
from scipy import stats

from coalition.insights.experiments import (
    MemberOutcome,
    Verdict,
    draw_holdout,
    evaluate,
    holdout_size,
    sample_ratio_check,
    summarise,
    two_proportion_test,
    welch_test,
)
from coalition.platform.errors import DomainError, ErrorCode

MEMBERS = [uuid.UUID(int=n) for n in range(1, 1001)]


def outcomes(buyers: int, members: int, spend: int = 1000) -> list[MemberOutcome]:
    return [MemberOutcome(1, spend) if n < buyers else MemberOutcome(0, 0) for n in range(members)]


def test_the_holdout_is_the_planned_share_and_the_same_for_the_same_seed() -> None:
    seed = bytes(range(16))
    holdout = draw_holdout(MEMBERS, Decimal("0.1"), seed)
    assert len(holdout) == 100
    assert holdout <= set(MEMBERS)
    assert draw_holdout(reversed(MEMBERS), Decimal("0.1"), seed) == holdout  # the order given does not matter
    assert draw_holdout(MEMBERS, Decimal("0.1"), b"another seed") != holdout
    # the draw is not the first or last ids: both ends of the id range are represented
    assert min(holdout) < uuid.UUID(int=500) < max(holdout)
    assert (holdout_size(15, Decimal("0.1")), holdout_size(25, Decimal("0.1"))) == (2, 2)  # 1.5 and 2.5, half-even


@pytest.mark.parametrize(("share", "seed", "field"), [
    (Decimal(0), b"s", "holdoutShare"), (Decimal(1), b"s", "holdoutShare"), (Decimal("0.1"), b"", "seed"),
])  # fmt: skip
def test_a_holdout_needs_a_share_strictly_between_0_and_1_and_a_seed(share: Decimal, seed: bytes, field: str) -> None:
    with pytest.raises(DomainError) as refused:
        draw_holdout(MEMBERS, share, seed)
    assert (refused.value.code, refused.value.field) == (ErrorCode.VALIDATION, (field,))


def test_the_purchase_rate_difference_by_the_two_proportion_test() -> None:
    treatment, holdout = summarise(outcomes(60, 200)), summarise(outcomes(20, 100))
    difference = two_proportion_test(treatment, holdout)
    assert difference is not None
    pooled = 80 / 300
    z = 0.1 / math.sqrt(pooled * (1 - pooled) * (1 / 200 + 1 / 100))
    assert difference.estimate == pytest.approx(0.1)
    assert difference.p_value == pytest.approx(math.erfc(z / math.sqrt(2)))  # 0.0648
    wald = math.sqrt(0.3 * 0.7 / 200 + 0.2 * 0.8 / 100)
    assert (difference.low, difference.high) == pytest.approx((0.1 - 1.959964 * wald, 0.1 + 1.959964 * wald))
    nobody = two_proportion_test(summarise(outcomes(0, 50)), summarise(outcomes(0, 50)))
    assert nobody is not None
    assert (nobody.estimate, nobody.p_value) == (0.0, 1.0)


def test_the_spend_difference_by_welchs_t_test() -> None:
    spend_t = [0, 0, 500, 1200, 2500, 3000, 800, 0]
    spend_h = [0, 300, 0, 900, 100]
    difference = welch_test([MemberOutcome(1, s) for s in spend_t], [MemberOutcome(1, s) for s in spend_h])
    assert difference is not None
    var_t, var_h = statistics.variance(spend_t) / len(spend_t), statistics.variance(spend_h) / len(spend_h)
    error = math.sqrt(var_t + var_h)
    freedom = (var_t + var_h) ** 2 / (var_t**2 / (len(spend_t) - 1) + var_h**2 / (len(spend_h) - 1))
    estimate = statistics.mean(spend_t) - statistics.mean(spend_h)
    assert difference.estimate == pytest.approx(estimate)
    assert difference.p_value == pytest.approx(2 * stats.t.sf(abs(estimate / error), freedom))
    margin = stats.t.ppf(0.975, freedom) * error
    assert (difference.low, difference.high) == pytest.approx((estimate - margin, estimate + margin))
    assert welch_test([MemberOutcome(0, 0)] * 5, [MemberOutcome(0, 0)] * 5) is None  # no variation at all
    assert welch_test([MemberOutcome(1, 5)], [MemberOutcome(1, 5)] * 5) is None  # one member


def test_the_sample_ratio_check_against_the_planned_split() -> None:
    fine = sample_ratio_check(900, 100, Decimal("0.1"))
    assert fine is not None
    assert (fine.p_value, fine.mismatch, fine.observed_holdout_share) == (1.0, False, 0.1)
    off = sample_ratio_check(950, 50, Decimal("0.1"))
    assert off is not None
    chi_square = (950 - 900) ** 2 / 900 + (50 - 100) ** 2 / 100
    assert off.p_value == pytest.approx(math.erfc(math.sqrt(chi_square / 2)))  # one degree of freedom
    assert off.mismatch
    assert sample_ratio_check(0, 0, Decimal("0.1")) is None


def test_a_clear_winner_is_named_with_enough_members() -> None:
    result = evaluate(outcomes(400, 900, spend=2000), outcomes(20, 100, spend=2000), Decimal("0.1"))
    assert (result.treatment.members, result.holdout.members) == (900, 100)
    assert (result.treatment.purchase_rate, result.holdout.purchase_rate) == (400 / 900, 0.2)
    assert result.treatment.spend_per_member_minor == 889  # 800000 / 900, rounded half-even
    assert result.purchase_rate_verdict == Verdict.TREATMENT_BETTER
    assert result.spend_verdict == Verdict.TREATMENT_BETTER
    reverse = evaluate(outcomes(20, 900), outcomes(50, 100), Decimal("0.1"))
    assert reverse.purchase_rate_verdict == Verdict.HOLDOUT_BETTER


def test_too_few_members_or_a_broken_split_names_no_winner() -> None:
    small = evaluate(outcomes(20, 20), outcomes(0, 20), Decimal("0.5"))
    assert small.purchase_rate is not None
    assert small.purchase_rate.p_value < 0.001
    assert small.purchase_rate_verdict == small.spend_verdict == Verdict.NOT_ENOUGH_DATA
    few_buyers = evaluate(outcomes(3, 500), outcomes(0, 500), Decimal("0.5"))
    assert few_buyers.purchase_rate_verdict == Verdict.NOT_ENOUGH_DATA  # fewer than five buyers in an arm
    skewed = evaluate(outcomes(400, 950), outcomes(10, 50), Decimal("0.1"))
    assert skewed.sample_ratio is not None
    assert skewed.sample_ratio.mismatch
    assert skewed.purchase_rate_verdict == skewed.spend_verdict == Verdict.SAMPLE_RATIO_MISMATCH
    alike = evaluate(outcomes(90, 900), outcomes(10, 100), Decimal("0.1"))
    assert alike.purchase_rate_verdict == alike.spend_verdict == Verdict.NO_CLEAR_DIFFERENCE
