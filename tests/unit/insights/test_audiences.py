"""Who an aimed campaign reaches, from purchases before its start (insights/audiences.py)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from coalition.insights.audiences import LAPSED, SEGMENT, audience, check_segment
from coalition.insights.model import Purchase
from coalition.insights.segments import member_scores
from coalition.platform.errors import DomainError

SHOP = uuid.UUID(int=1)
ZONE = ZoneInfo("Europe/Amsterdam")
AS_OF = date(2026, 11, 1)


def bought(member: int, days_ago: int, shop: uuid.UUID = SHOP) -> Purchase:
    moment = datetime(2026, 11, 1, 11, tzinfo=UTC) - timedelta(days=days_ago)
    return Purchase(uuid.UUID(int=member), shop, moment, 1000)


HISTORY = [
    # member 1: steady, then gone for 60 days (gaps of 10): lapsed
    *(bought(1, days) for days in (90, 80, 70, 60)),
    # member 2: every 10 days, last one yesterday: not lapsed
    *(bought(2, days) for days in (31, 21, 11, 1)),
    # members 3-10: one purchase each, at various ages
    *(bought(member, member * 20) for member in range(3, 11)),
    # another shop's purchase counts only for the coalition
    bought(11, 2, uuid.UUID(int=2)),
]


def test_the_segment_audience_is_the_members_the_segment_function_names() -> None:
    scores = member_scores(HISTORY, SHOP, AS_OF, ZONE)
    for name in {score.segment for score in scores}:
        expected = sorted(score.member_id for score in scores if score.segment == name)
        assert audience(HISTORY, SHOP, AS_OF, ZONE, SEGMENT, name) == expected
    assert audience(HISTORY, SHOP, AS_OF, ZONE, SEGMENT, "Can't lose") == []


def test_the_lapsed_audience_is_the_lapsed_list() -> None:
    assert audience(HISTORY, SHOP, AS_OF, ZONE, LAPSED, None) == [uuid.UUID(int=1)]


def test_another_shops_members_are_only_in_a_coalition_audience() -> None:
    everyone = {s.member_id for s in member_scores(HISTORY, None, AS_OF, ZONE)}
    assert uuid.UUID(int=11) in everyone
    assert uuid.UUID(int=11) not in {s.member_id for s in member_scores(HISTORY, SHOP, AS_OF, ZONE)}


def test_an_unknown_segment_is_refused() -> None:
    assert check_segment("At risk") == "At risk"
    assert check_segment(None) is None
    with pytest.raises(DomainError) as refused:
        check_segment("Whales")
    assert refused.value.field == ("audience", "segment")
