"""Where a member stands in a running challenge: the different shops that
count, visited since the current period began, and whether it was paid."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from coalition.partners.earning.model import Challenge, ChallengeFunding, ChallengePeriod
from coalition.partners.reads import challenge_standings

A, B, C, D = (uuid.uuid4() for _ in range(4))
TODAY = date(2026, 12, 3)  # a Thursday


def _challenge(period: ChallengePeriod, partners: tuple[uuid.UUID, ...] = (), needed: int = 3) -> Challenge:
    return Challenge(
        id=uuid.uuid4(), name="Shop around", distinct_partners=needed, period=period, bonus_points=25,
        funding=ChallengeFunding.COALITION, partner_ids=partners, starts_at=datetime(2026, 11, 1, tzinfo=UTC),
        ends_at=datetime(2027, 1, 1, tzinfo=UTC),
    )  # fmt: skip


def test_only_shops_visited_in_the_current_period_count_once_each() -> None:
    days = [(date(2026, 11, 30), [A]), (date(2026, 12, 1), [A, B]), (date(2026, 12, 3), [B])]
    month, week = _challenge(ChallengePeriod.MONTH), _challenge(ChallengePeriod.WEEK)
    standings = challenge_standings([month, week], days, set(), TODAY)
    # December began on the 1st (A and B); the week on Monday 30 November (A and B too).
    assert [(s.shops_visited, s.completed) for s in standings] == [(2, False), (2, False)]
    earlier = challenge_standings([month], [(date(2026, 11, 28), [C])], set(), TODAY)
    assert earlier[0].shops_visited == 0


def test_only_the_shops_taking_part_count_and_a_paid_period_is_completed() -> None:
    challenge = _challenge(ChallengePeriod.MONTH, partners=(A, B, C), needed=2)
    days = [(date(2026, 12, 2), [A, D]), (date(2026, 12, 3), [B, C])]
    paid = {(challenge.id, date(2026, 12, 1))}
    [standing] = challenge_standings([challenge], days, paid, TODAY)
    assert (standing.shops_visited, standing.completed) == (2, True)  # never shown above what it asks for
    [last_month] = challenge_standings([challenge], days, {(challenge.id, date(2026, 11, 1))}, TODAY)
    assert last_month.completed is False
