"""A campaign's experiment: a random holdout that does not get it, and what the campaign changed.

Spend and purchase-rate differences are statistical estimates (floats, spend
in minor units), not amounts of money that move; they are always treatment
minus holdout.
"""

from __future__ import annotations

import hashlib
import math
import secrets
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum

import numpy as np
from scipy import stats

from coalition.platform.errors import validation

from .model import divide_to_minor

CONFIDENCE = 0.95
SIGNIFICANCE = 1 - CONFIDENCE
# Below this many members in an arm, neither test's approximation holds: say so rather than name a winner.
MIN_MEMBERS_PER_ARM = 30
# The two-proportion test's normal approximation needs this many buyers and non-buyers in each arm.
MIN_OUTCOMES_PER_ARM = 5
# A sample-ratio mismatch this unlikely by chance means the split or the data is broken.
SAMPLE_RATIO_P = 0.001


def new_holdout_seed() -> bytes:
    return secrets.token_bytes(16)


def holdout_size(members: int, share: Decimal) -> int:
    return int((members * share).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def draw_holdout(member_ids: Iterable[uuid.UUID], share: Decimal, seed: bytes) -> frozenset[uuid.UUID]:
    """``round(N * share)`` members (half-even), drawn at random but the same for the same seed and members.

    Each member's draw ticket is SHA-256(seed || the member id's 16 bytes);
    the lowest tickets are the holdout. The order the ids come in does not
    matter, and the SQL version is ``ORDER BY sha256(seed || uuid_send(id))
    LIMIT k``.
    """
    if not Decimal(0) < share < Decimal(1):
        raise validation("the holdout share must be more than 0 and less than 1", "holdoutShare")
    if not seed:
        raise validation("the holdout draw needs a seed", "seed")
    members = sorted(set(member_ids), key=lambda member: hashlib.sha256(seed + member.bytes).digest())
    return frozenset(members[: holdout_size(len(members), share)])


@dataclass(frozen=True)
class MemberOutcome:
    """One member's purchases and spend over the campaign's measurement window (zero for none)."""

    purchases: int
    spend_minor: int


@dataclass(frozen=True)
class ArmSummary:
    members: int
    purchasers: int
    spend_minor: int

    @property
    def purchase_rate(self) -> float | None:
        return self.purchasers / self.members if self.members else None

    @property
    def spend_per_member_minor(self) -> int | None:
        return divide_to_minor(self.spend_minor, self.members) if self.members else None


def summarise(outcomes: Sequence[MemberOutcome]) -> ArmSummary:
    return ArmSummary(
        members=len(outcomes),
        purchasers=sum(1 for outcome in outcomes if outcome.purchases > 0),
        spend_minor=sum(outcome.spend_minor for outcome in outcomes),
    )


@dataclass(frozen=True)
class Difference:
    """Treatment minus holdout, with its 95% confidence interval and two-sided p-value."""

    estimate: float
    low: float
    high: float
    p_value: float


class Verdict(StrEnum):
    NOT_ENOUGH_DATA = "NOT_ENOUGH_DATA"
    SAMPLE_RATIO_MISMATCH = "SAMPLE_RATIO_MISMATCH"
    NO_CLEAR_DIFFERENCE = "NO_CLEAR_DIFFERENCE"
    TREATMENT_BETTER = "TREATMENT_BETTER"
    HOLDOUT_BETTER = "HOLDOUT_BETTER"


@dataclass(frozen=True)
class SampleRatioCheck:
    """Chi-square of the arms' sizes against the planned split; a mismatch voids every verdict."""

    planned_holdout_share: Decimal
    observed_holdout_share: float
    p_value: float

    @property
    def mismatch(self) -> bool:
        return self.p_value < SAMPLE_RATIO_P


@dataclass(frozen=True)
class ExperimentResult:
    treatment: ArmSummary
    holdout: ArmSummary
    sample_ratio: SampleRatioCheck | None
    purchase_rate: Difference | None
    purchase_rate_verdict: Verdict
    spend_per_member: Difference | None
    spend_verdict: Verdict


def two_proportion_test(treatment: ArmSummary, holdout: ArmSummary) -> Difference | None:
    """The z-test with the pooled proportion for the p-value, and the unpooled (Wald) interval."""
    if not treatment.members or not holdout.members:
        return None
    rate_t = treatment.purchasers / treatment.members
    rate_h = holdout.purchasers / holdout.members
    estimate = rate_t - rate_h
    pooled = (treatment.purchasers + holdout.purchasers) / (treatment.members + holdout.members)
    pooled_error = math.sqrt(pooled * (1 - pooled) * (1 / treatment.members + 1 / holdout.members))
    # Everyone bought, or no one did, in both arms: no difference, and no evidence of one.
    p_value = 1.0 if pooled_error == 0 else float(2 * stats.norm.sf(abs(estimate) / pooled_error))
    error = math.sqrt(rate_t * (1 - rate_t) / treatment.members + rate_h * (1 - rate_h) / holdout.members)
    margin = float(stats.norm.ppf(1 - SIGNIFICANCE / 2)) * error
    return Difference(estimate, estimate - margin, estimate + margin, p_value)


def welch_test(treatment: Sequence[MemberOutcome], holdout: Sequence[MemberOutcome]) -> Difference | None:
    """Welch's t-test on spend per member (every member, zero spenders included); None when it is undefined
    (fewer than two members in an arm, or no variation at all)."""
    if len(treatment) < 2 or len(holdout) < 2:
        return None
    spend_t = np.array([outcome.spend_minor for outcome in treatment], dtype=np.float64)
    spend_h = np.array([outcome.spend_minor for outcome in holdout], dtype=np.float64)
    if spend_t.var() == 0 and spend_h.var() == 0:
        return None
    result = stats.ttest_ind(spend_t, spend_h, equal_var=False)
    if not math.isfinite(float(result.pvalue)):
        return None
    interval = result.confidence_interval(CONFIDENCE)
    estimate = float(spend_t.mean() - spend_h.mean())
    return Difference(estimate, float(interval.low), float(interval.high), float(result.pvalue))


def sample_ratio_check(treatment: int, holdout: int, planned_holdout_share: Decimal) -> SampleRatioCheck | None:
    members = treatment + holdout
    if members == 0:
        return None
    share = float(planned_holdout_share)
    result = stats.chisquare([treatment, holdout], f_exp=[members * (1 - share), members * share])
    return SampleRatioCheck(planned_holdout_share, holdout / members, float(result.pvalue))


def verdict(difference: Difference | None) -> Verdict:
    if difference is None or difference.p_value >= SIGNIFICANCE:
        return Verdict.NO_CLEAR_DIFFERENCE
    return Verdict.TREATMENT_BETTER if difference.estimate > 0 else Verdict.HOLDOUT_BETTER


def evaluate(
    treatment: Sequence[MemberOutcome],
    holdout: Sequence[MemberOutcome],
    planned_holdout_share: Decimal,
    *,
    min_members: int = MIN_MEMBERS_PER_ARM,
) -> ExperimentResult:
    """Treatment against holdout. The figures are always computed when they can be; a winner is named only
    when each arm has ``min_members`` (and, for the purchase rate, five buyers and five non-buyers), the
    arms' sizes fit the planned split, and p < 0.05."""
    arm_t, arm_h = summarise(treatment), summarise(holdout)
    ratio = sample_ratio_check(arm_t.members, arm_h.members, planned_holdout_share)
    rate, spend = two_proportion_test(arm_t, arm_h), welch_test(treatment, holdout)
    enough = arm_t.members >= min_members and arm_h.members >= min_members
    enough_outcomes = all(
        arm.purchasers >= MIN_OUTCOMES_PER_ARM and arm.members - arm.purchasers >= MIN_OUTCOMES_PER_ARM
        for arm in (arm_t, arm_h)
    )

    def judged(difference: Difference | None, has_enough: bool) -> Verdict:
        if not has_enough:
            return Verdict.NOT_ENOUGH_DATA
        if ratio is not None and ratio.mismatch:
            return Verdict.SAMPLE_RATIO_MISMATCH
        return verdict(difference)

    return ExperimentResult(
        treatment=arm_t,
        holdout=arm_h,
        sample_ratio=ratio,
        purchase_rate=rate,
        purchase_rate_verdict=judged(rate, enough and enough_outcomes),
        spend_per_member=spend,
        spend_verdict=judged(spend, enough),
    )
