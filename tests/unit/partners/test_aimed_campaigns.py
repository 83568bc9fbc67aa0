"""Campaigns aimed at an audience: the engine gives them only to the treatment
arm, and the audience's shape is checked when the campaign is saved."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from coalition.partners.earning.checks import check_audience, check_campaign
from coalition.partners.earning.engine import evaluate
from coalition.partners.earning.model import (
    Audience,
    AudienceKind,
    Basket,
    Campaign,
    CampaignKind,
    EarnRules,
    MemberState,
    Setup,
)
from coalition.platform.errors import DomainError, ErrorCode
from coalition.platform.programme.rules import Limits

SHOP = uuid.UUID(int=1)
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
AIMED = Campaign(
    id=uuid.UUID(int=7),
    name="Come back",
    partner_id=SHOP,
    kind=CampaignKind.FIXED_BONUS,
    starts_at=NOW - timedelta(days=1),
    ends_at=NOW + timedelta(days=7),
    bonus_points=50,
    min_spend=Decimal(10),
    audience=Audience(AudienceKind.SEGMENT, "At risk", Decimal("0.1")),
)
SETUP = Setup(partner_id=SHOP, currency="EUR", rules=EarnRules(Decimal(1)), campaigns=(AIMED,))
BASKET = Basket(partner_id=SHOP, amount=Decimal(20), currency="EUR")


def test_an_aimed_campaign_reads_no_member_state() -> None:
    # The till knows the treated cards from memory: aiming adds no statement to the earn.
    assert not SETUP.uses_member_state


@pytest.mark.parametrize(
    ("member", "points"),
    [
        (MemberState(campaigns=frozenset({AIMED.id})), 70),  # treatment: 20 base + 50 bonus
        (MemberState(), 20),  # held out, or outside the audience: the base only
        (MemberState(campaigns=frozenset({uuid.UUID(int=8)})), 20),  # treated in another campaign
    ],
)
def test_only_the_treatment_arm_gets_an_aimed_campaign(member: MemberState, points: int) -> None:
    earned = evaluate(BASKET, member, SETUP, NOW.date(), NOW)
    assert earned.points == points
    assert any("Come back" in line for line in earned.explanation) == (points == 70)


def test_a_campaign_for_everyone_ignores_the_arms() -> None:
    everyone = replace(SETUP, campaigns=(replace(AIMED, audience=None),))
    assert evaluate(BASKET, MemberState(), everyone, NOW.date(), NOW).points == 70


@pytest.mark.parametrize(
    ("audience", "field"),
    [
        (Audience(AudienceKind.SEGMENT, None), ("audience", "segment")),
        (Audience(AudienceKind.LAPSED, "Champions"), ("audience", "segment")),
        (Audience(AudienceKind.LAPSED, None, Decimal(0)), ("audience", "holdoutShare")),
        (Audience(AudienceKind.LAPSED, None, Decimal("0.6")), ("audience", "holdoutShare")),
        (Audience(AudienceKind.LAPSED, None, Decimal("0.1234")), ("audience", "holdoutShare")),
        (Audience(AudienceKind.LAPSED, None, Decimal("NaN")), ("audience", "holdoutShare")),
    ],
)
def test_a_bad_audience_is_refused_with_its_field(audience: Audience, field: tuple[str, ...]) -> None:
    with pytest.raises(DomainError) as refused:
        check_audience(audience)
    assert (refused.value.code, refused.value.field) == (ErrorCode.VALIDATION, field)


def test_a_good_audience_passes_with_the_campaign() -> None:
    assert check_audience(Audience(AudienceKind.LAPSED, None, Decimal("0.10"))).holdout_share == Decimal("0.10")
    assert check_campaign(AIMED, EarnRules(Decimal(1)), Limits()) is AIMED
