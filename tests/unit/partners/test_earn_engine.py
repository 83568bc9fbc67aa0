"""The earn engine, rule by rule and in combination (partners/earning/engine.py)."""

from __future__ import annotations

import re
import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coalition.partners.earning.checks import check_campaign, check_earn_rate, check_earn_rules
from coalition.partners.earning.engine import evaluate
from coalition.partners.earning.model import (
    Basket,
    Campaign,
    CampaignKind,
    CategoryRate,
    Challenge,
    ChallengeFunding,
    ChallengePeriod,
    EarnRules,
    Line,
    MemberState,
    Setup,
    StampCard,
    Threshold,
)
from coalition.platform.errors import DomainError, ErrorCode
from coalition.platform.programme.rules import (
    BirthdayPeriod,
    Bonuses,
    CoalitionRules,
    Limits,
    Tier,
    TierPolicy,
)

SHOP = uuid.UUID(int=1)
OTHER = uuid.UUID(int=2)
THIRD = uuid.UUID(int=3)
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
TODAY = NOW.date()
WEEK = timedelta(days=7)


def basket(amount: str, *lines: Line) -> Basket:
    return Basket(partner_id=SHOP, amount=Decimal(amount), currency="EUR", lines=lines)


def setup(rate: str = "1", **changes: object) -> Setup:
    return replace(Setup(partner_id=SHOP, currency="EUR", rules=EarnRules(Decimal(rate))), **changes)  # type: ignore[arg-type]


def campaign(kind: CampaignKind, partner: uuid.UUID | None = SHOP, **changes: object) -> Campaign:
    base = Campaign(
        id=uuid.uuid4(), name="Autumn", partner_id=partner, kind=kind, starts_at=NOW - WEEK, ends_at=NOW + WEEK
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def funded(earned_by: dict[uuid.UUID | None, int], funder: uuid.UUID | None) -> int:
    return earned_by.get(funder, 0)


# ---------- one rule at a time ----------


def test_base_rate_floors_and_explains() -> None:
    earned = evaluate(basket("20.55"), MemberState(), setup("1.5"), TODAY, NOW)
    assert earned.points == 30  # 30.825 rounds down
    assert earned.explanation == ["Base rate 1.5 per 1 EUR on 20.55 EUR: 30 points"]
    assert earned.by_funder() == {SHOP: 30}


def test_a_purchase_too_small_to_earn_is_still_explained() -> None:
    earned = evaluate(basket("0.99"), MemberState(), setup("1"), TODAY, NOW)
    assert earned.points == 0
    assert earned.explanation == ["Base rate 1 per 1 EUR on 0.99 EUR: 0 points"]


def test_category_rates_apply_to_their_lines_and_the_base_rate_to_the_rest() -> None:
    rules = EarnRules(Decimal(1), category_rates=(CategoryRate("books", Decimal(3)),))
    purchase = basket("30.00", Line("b1", "books", 2, Decimal("5.00")), Line("m1", "music", 1, Decimal("20.00")))
    earned = evaluate(purchase, MemberState(), setup(rules=rules), TODAY, NOW)
    assert earned.points == 30 + 20
    assert earned.explanation == [
        "Base rate 1 per 1 EUR on 20.00 EUR: 20 points",
        "books: 3 per 1 EUR on 10.00 EUR: 30 points",
    ]


def test_only_the_highest_threshold_reached_counts() -> None:
    rules = EarnRules(Decimal(1), thresholds=(Threshold(Decimal(20), 1000), Threshold(Decimal(30), 2000)))
    assert evaluate(basket("19.99"), MemberState(), setup(rules=rules), TODAY, NOW).points == 19
    assert evaluate(basket("25"), MemberState(), setup(rules=rules), TODAY, NOW).points == 25 + 1000
    earned = evaluate(basket("30"), MemberState(), setup(rules=rules), TODAY, NOW)
    assert earned.points == 30 + 2000
    assert earned.explanation[-1] == "Spend of 30 EUR or more: +2000"


def test_a_multiplier_campaign_adds_to_the_base_points_while_it_runs() -> None:
    double = campaign(CampaignKind.MULTIPLIER, multiplier=Decimal(2))
    assert evaluate(basket("10"), MemberState(), setup(campaigns=(double,)), TODAY, NOW).points == 20
    before = NOW - 2 * WEEK
    assert evaluate(basket("10"), MemberState(), setup(campaigns=(double,)), TODAY, before).points == 10
    assert evaluate(basket("10"), MemberState(), setup(campaigns=(double,)), TODAY, double.ends_at).points == 10


def test_a_campaign_limited_to_categories_multiplies_only_those_lines() -> None:
    triple = campaign(CampaignKind.MULTIPLIER, multiplier=Decimal(3), categories=("coffee",))
    purchase = basket("14", Line("c", "coffee", 2, Decimal(2)), Line("t", "tea", 1, Decimal(10)))
    earned = evaluate(purchase, MemberState(), setup(campaigns=(triple,)), TODAY, NOW)
    assert earned.points == 14 + 2 * 4
    no_coffee = basket("10", Line("t", "tea", 1, Decimal(10)))
    assert evaluate(no_coffee, MemberState(), setup(campaigns=(triple,)), TODAY, NOW).points == 10


def test_a_fixed_bonus_campaign_needs_its_minimum_spend() -> None:
    bonus = campaign(CampaignKind.FIXED_BONUS, bonus_points=50, min_spend=Decimal(15))
    assert evaluate(basket("14.99"), MemberState(), setup(campaigns=(bonus,)), TODAY, NOW).points == 14
    assert evaluate(basket("15"), MemberState(), setup(campaigns=(bonus,)), TODAY, NOW).points == 65


def test_a_campaign_limited_to_tiers_needs_the_members_tier() -> None:
    gold_only = campaign(CampaignKind.FIXED_BONUS, bonus_points=100, tiers=("GOLD",))
    assert evaluate(basket("10"), MemberState(tier="SILVER"), setup(campaigns=(gold_only,)), TODAY, NOW).points == 10
    assert evaluate(basket("10"), MemberState(tier="GOLD"), setup(campaigns=(gold_only,)), TODAY, NOW).points == 110


def test_another_shops_campaign_does_not_apply_here() -> None:
    theirs = campaign(CampaignKind.FIXED_BONUS, partner=OTHER, bonus_points=100)
    assert evaluate(basket("10"), MemberState(), setup(campaigns=(theirs,)), TODAY, NOW).points == 10


TIERS = TierPolicy(
    tiers=(
        Tier("BRONZE", "Bronze", 0),
        Tier("SILVER", "Silver", 1000, Decimal("1.5")),
        Tier("GOLD", "Gold", 5000, Decimal(2), ("Free delivery",)),
    )
)


def test_the_tier_multiplier_applies_to_the_base_points() -> None:
    coalition = CoalitionRules(tiers=TIERS)
    earned = evaluate(basket("10"), MemberState(tier="SILVER", qualifying=1200), setup(coalition=coalition), TODAY, NOW)
    assert earned.points == 15
    assert earned.explanation[-1] == "Silver tier x1.5: +5"


def test_an_earn_that_crosses_a_threshold_moves_the_member_up() -> None:
    coalition = CoalitionRules(tiers=TIERS)
    earned = evaluate(basket("50"), MemberState(tier="BRONZE", qualifying=990), setup(coalition=coalition), TODAY, NOW)
    assert (earned.tier, earned.tier_changed) == ("SILVER", True)
    stays = evaluate(basket("5"), MemberState(tier="GOLD", qualifying=10), setup(coalition=coalition), TODAY, NOW)
    assert (stays.tier, stays.tier_changed) == ("GOLD", False)


def test_the_shops_cap_per_purchase_holds_and_says_so() -> None:
    rules = EarnRules(Decimal(10), max_points_per_transaction=500)
    earned = evaluate(basket("80"), MemberState(), setup(rules=rules), TODAY, NOW)
    assert earned.points == 500
    assert earned.explanation[-1] == "Capped at 500 points per purchase: -300"


def test_the_coalitions_cap_per_purchase_holds_too() -> None:
    coalition = CoalitionRules(limits=Limits(max_points_per_transaction=100))
    assert evaluate(basket("300"), MemberState(), setup(coalition=coalition), TODAY, NOW).points == 100


def test_a_coalition_campaign_is_funded_by_the_coalition() -> None:
    town = campaign(CampaignKind.FIXED_BONUS, partner=None, bonus_points=25, name="Market day")
    earned = evaluate(basket("10"), MemberState(), setup(campaigns=(town,)), TODAY, NOW)
    assert earned.by_funder() == {SHOP: 10, None: 25}
    assert earned.explanation[-1] == "Market day (coalition campaign): +25"


def challenge(**changes: object) -> Challenge:
    base = Challenge(
        id=uuid.UUID(int=99),
        name="Three shops",
        distinct_partners=3,
        period=ChallengePeriod.MONTH,
        bonus_points=500,
        funding=ChallengeFunding.COALITION,
        partner_ids=(),
        starts_at=NOW - WEEK,
        ends_at=NOW + WEEK,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_a_challenge_pays_at_the_third_different_shop_of_the_month_once() -> None:
    three = setup(challenges=(challenge(),))
    one_shop = MemberState(partners_this_month=frozenset({OTHER}))
    assert evaluate(basket("10"), one_shop, three, TODAY, NOW).points == 10
    two_shops = MemberState(partners_this_month=frozenset({OTHER, THIRD}))
    earned = evaluate(basket("10"), two_shops, three, TODAY, NOW)
    assert earned.by_funder() == {SHOP: 10, None: 500}
    assert earned.challenges == ((uuid.UUID(int=99), date(2026, 11, 1)),)
    done = replace(two_shops, challenges_done=frozenset({uuid.UUID(int=99)}))
    assert evaluate(basket("10"), done, three, TODAY, NOW).points == 10
    again_here = MemberState(partners_this_month=frozenset({SHOP, OTHER}))
    assert evaluate(basket("10"), again_here, three, TODAY, NOW).points == 10


def test_a_shared_challenge_is_split_between_the_shops_that_joined_it() -> None:
    shared = challenge(funding=ChallengeFunding.SHARED, partner_ids=(SHOP, OTHER, THIRD), bonus_points=500)
    member = MemberState(partners_this_month=frozenset({OTHER, THIRD}))
    earned = evaluate(basket("10"), member, setup(challenges=(shared,)), TODAY, NOW)
    assert earned.by_funder() == {SHOP: 10 + 168, OTHER: 166, THIRD: 166}


def test_the_birthday_bonus_comes_once_in_the_birthday_month() -> None:
    rules = CoalitionRules(bonuses=Bonuses(birthday=200))
    member = MemberState(birth_date=date(1990, 11, 3))
    earned = evaluate(basket("10"), member, setup(coalition=rules), TODAY, NOW)
    assert earned.by_funder() == {SHOP: 10, None: 200}
    assert earned.birthday_year == 2026
    paid = replace(member, birthday_bonus_year=2026)
    assert evaluate(basket("10"), paid, setup(coalition=rules), TODAY, NOW).points == 10
    other_month = MemberState(birth_date=date(1990, 12, 3))
    assert evaluate(basket("10"), other_month, setup(coalition=rules), TODAY, NOW).points == 10


def test_the_birthday_week_runs_monday_to_sunday() -> None:
    rules = CoalitionRules(bonuses=Bonuses(birthday=200, birthday_period=BirthdayPeriod.WEEK))
    # 20 November 2026 is a Friday; its week runs 16-22 November.
    assert (
        evaluate(basket("1"), MemberState(birth_date=date(1980, 11, 16)), setup(coalition=rules), TODAY, NOW).points
        == 201
    )
    assert (
        evaluate(basket("1"), MemberState(birth_date=date(1980, 11, 23)), setup(coalition=rules), TODAY, NOW).points
        == 1
    )


def test_a_referral_pays_both_sides_on_the_first_qualifying_purchase() -> None:
    rules = CoalitionRules(bonuses=Bonuses(referrer=300, referee=100, referral_min_purchase=Decimal(10)))
    friend = uuid.UUID(int=7)
    member = MemberState(referrer_id=friend, referral_paid=False)
    small = evaluate(basket("9.99"), member, setup(coalition=rules), TODAY, NOW)
    assert (small.points, small.referral, small.referral_qualified) == (9, None, False)
    earned = evaluate(basket("10"), member, setup(coalition=rules), TODAY, NOW)
    assert earned.by_funder() == {SHOP: 10, None: 100}
    assert earned.referral is not None
    assert (earned.referral.referrer_id, earned.referral.points) == (friend, 300)
    paid = replace(member, referral_paid=True)
    assert evaluate(basket("10"), paid, setup(coalition=rules), TODAY, NOW).referral is None


def test_the_daily_cap_trims_coalition_funded_points_first() -> None:
    rules = CoalitionRules(limits=Limits(max_points_per_member_per_day=100))
    town = campaign(CampaignKind.FIXED_BONUS, partner=None, bonus_points=50)
    earned = evaluate(basket("80"), MemberState(points_today=40), setup(coalition=rules, campaigns=(town,)), TODAY, NOW)
    assert earned.points == 60
    assert earned.by_funder() == {SHOP: 60}
    assert earned.explanation[-2:] == [
        "Daily limit of 100 points per member: -50",
        "Daily limit of 100 points per member: -20",
    ]


def test_stamps_fill_a_card_and_a_full_card_gives_a_coupon() -> None:
    reward = uuid.UUID(int=50)
    card = StampCard(uuid.UUID(int=60), "Coffee card", 10, reward, categories=("coffee",))
    purchase = basket("9", Line("c", "coffee", 3, Decimal(3)))
    earned = evaluate(purchase, MemberState(stamps={card.id: 8}), setup(stamp_cards=(card,)), TODAY, NOW)
    assert earned.stamps == {card.id: 1}
    assert [(c.reward_id, c.source) for c in earned.coupons] == [(reward, "STAMP_CARD")]
    assert "Coffee card: +3 stamps, 1/10" in earned.explanation
    tea = basket("9", Line("t", "tea", 3, Decimal(3)))
    assert evaluate(tea, MemberState(), setup(stamp_cards=(card,)), TODAY, NOW).stamps == {}


def test_a_coupon_campaign_issues_a_coupon_with_the_purchase() -> None:
    reward = uuid.UUID(int=51)
    gift = campaign(CampaignKind.COUPON, reward_id=reward, min_spend=Decimal(20))
    assert evaluate(basket("19"), MemberState(), setup(campaigns=(gift,)), TODAY, NOW).coupons == ()
    assert [
        c.reward_id for c in evaluate(basket("20"), MemberState(), setup(campaigns=(gift,)), TODAY, NOW).coupons
    ] == [reward]


# ---------- the order of application ----------


def test_rules_apply_in_the_stated_order() -> None:
    """Base 1/EUR on 40 = 40; threshold +100 (not multiplied); shop campaign x2
    on the base +40; Gold x2 on the base +40; shop cap 200 leaves 220 -> 200;
    the coalition's +30 is not under the shop's cap; the daily cap of 210
    then trims the coalition's points first."""
    rules = EarnRules(Decimal(1), thresholds=(Threshold(Decimal(30), 100),), max_points_per_transaction=200)
    coalition = CoalitionRules(tiers=TIERS, limits=Limits(max_points_per_member_per_day=210))
    campaigns = (
        campaign(CampaignKind.MULTIPLIER, multiplier=Decimal(2)),
        campaign(CampaignKind.FIXED_BONUS, partner=None, bonus_points=30, name="Town"),
    )
    member = MemberState(tier="GOLD", qualifying=6000)
    earned = evaluate(basket("40"), member, setup(rules=rules, coalition=coalition, campaigns=campaigns), TODAY, NOW)
    assert [a.points for a in earned.awards] == [40, 100, 40, 40, -20, 30, -20]
    assert earned.by_funder() == {SHOP: 200, None: 10}
    assert earned.explanation == [
        "Base rate 1 per 1 EUR on 40 EUR: 40 points",
        "Spend of 30 EUR or more: +100",
        "Autumn (shop campaign, x2): +40",
        "Gold tier x2: +40",
        "Capped at 200 points per purchase: -20",
        "Town (coalition campaign): +30",
        "Daily limit of 210 points per member: -20",
    ]


# ---------- properties ----------

money = st.decimals(min_value=Decimal(0), max_value=Decimal(5000), places=2)
rates = st.decimals(min_value=Decimal(0), max_value=Decimal(20), places=2)


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[Basket, MemberState, Setup]:
    lines = tuple(
        Line(f"s{i}", draw(st.sampled_from([None, "coffee", "books"])), draw(st.integers(1, 5)), draw(money))
        for i in range(draw(st.integers(0, 4)))
    )
    amount = draw(money) + sum((line.total for line in lines), Decimal(0))
    rules = EarnRules(
        draw(rates),
        category_rates=tuple(CategoryRate(c, draw(rates)) for c in draw(st.sets(st.sampled_from(["coffee", "books"])))),
        thresholds=tuple(
            Threshold(draw(money) + 1, draw(st.integers(1, 5000))) for _ in range(draw(st.integers(0, 2)))
        ),
        max_points_per_transaction=draw(st.none() | st.integers(1, 20_000)),
    )
    coalition = CoalitionRules(
        limits=Limits(
            max_points_per_transaction=draw(st.none() | st.integers(1, 30_000)),
            max_points_per_member_per_day=draw(st.none() | st.integers(1, 30_000)),
        ),
        bonuses=Bonuses(birthday=draw(st.integers(0, 500)), referee=draw(st.integers(0, 500))),
        tiers=TIERS,
    )
    campaigns = tuple(
        campaign(
            draw(st.sampled_from([CampaignKind.MULTIPLIER, CampaignKind.FIXED_BONUS])),
            partner=draw(st.sampled_from([SHOP, None])),
            multiplier=Decimal(draw(st.integers(2, 5))),
            bonus_points=draw(st.integers(1, 1000)),
            categories=tuple(draw(st.sets(st.sampled_from(["coffee", "books"])))),
        )
        for _ in range(draw(st.integers(0, 3)))
    )
    challenges = (challenge(funding=draw(st.sampled_from(list(ChallengeFunding))), partner_ids=(SHOP, OTHER, THIRD)),)
    member = MemberState(
        tier=draw(st.sampled_from([None, "BRONZE", "SILVER", "GOLD"])),
        points_today=draw(st.integers(0, 40_000)),
        partners_this_month=frozenset(draw(st.sets(st.sampled_from([OTHER, THIRD])))),
        birth_date=draw(st.none() | st.dates(date(1930, 1, 1), date(2010, 12, 31))),
        referrer_id=draw(st.none() | st.just(uuid.UUID(int=7))),
        referral_paid=draw(st.booleans()),
    )
    purchase = Basket(SHOP, amount, "EUR", lines)
    return purchase, member, setup(rules=rules, coalition=coalition, campaigns=campaigns, challenges=challenges)


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_points_are_never_negative_caps_hold_and_the_explanation_adds_up(
    scenario: tuple[Basket, MemberState, Setup],
) -> None:
    purchase, member, rules = scenario
    earned = evaluate(purchase, member, rules, TODAY, NOW)
    assert earned.points >= 0
    assert all(points > 0 for points in earned.by_funder().values())
    assert sum(earned.by_funder().values()) == earned.points == sum(a.points for a in earned.awards)
    assert len(earned.explanation) == len(earned.awards) + len(earned.notes)
    for award in earned.awards:  # every line ends with what it added or took
        stated = re.search(r"([-+]?)(\d+)( points)?$", award.line)
        assert stated is not None
        assert int(stated.group(2)) == abs(award.points)
        assert (stated.group(1) == "-") == (award.points < 0)
    caps = [c for c in (rules.rules.max_points_per_transaction, rules.coalition.limits.max_points_per_transaction) if c]
    if caps:
        assert funded(earned.by_funder(), SHOP) <= min(caps) + sum(
            a.points for a in earned.awards if a.funder == SHOP and "cross-shop challenge" in a.line
        )
    daily = rules.coalition.limits.max_points_per_member_per_day
    if daily is not None:
        assert earned.points <= max(daily - member.points_today, 0)


# ---------- checks when rules are saved ----------

BAND = Limits(min_earn_rate=Decimal("0.5"), max_earn_rate=Decimal(5))


@pytest.mark.parametrize(
    ("rules", "field"),
    [
        (EarnRules(Decimal(6)), ("baseRate",)),
        (EarnRules(Decimal("0.4")), ("baseRate",)),
        (EarnRules(Decimal(1), category_rates=(CategoryRate("wine", Decimal("5.5")),)), ("categoryRates", "0", "rate")),
        (EarnRules(Decimal(1), thresholds=(Threshold(Decimal(10), 50),)), ("thresholds", "0", "points")),
        (EarnRules(Decimal(1), max_points_per_transaction=0), ("maxPointsPerTransaction",)),
    ],
)
def test_rules_outside_the_coalitions_band_are_refused(rules: EarnRules, field: tuple[str, ...]) -> None:
    with pytest.raises(DomainError) as refused:
        check_earn_rules(rules, BAND)
    assert refused.value.code == ErrorCode.VALIDATION
    assert refused.value.field == field


def test_rules_inside_the_band_are_accepted() -> None:
    rules = EarnRules(Decimal(1), (CategoryRate("wine", Decimal(5)),), (Threshold(Decimal(20), 80),), 1000)
    assert check_earn_rules(rules, BAND) is rules


def test_a_shop_campaign_may_not_push_its_rate_above_the_maximum() -> None:
    over = campaign(CampaignKind.MULTIPLIER, multiplier=Decimal(3))
    with pytest.raises(DomainError) as refused:
        check_campaign(over, EarnRules(Decimal(2)), BAND)
    assert refused.value.field == ("multiplier",)
    assert check_campaign(over, EarnRules(Decimal(1)), BAND) is over
    no_min_spend = campaign(CampaignKind.FIXED_BONUS, bonus_points=10)
    with pytest.raises(DomainError):
        check_campaign(no_min_spend, EarnRules(Decimal(1)), BAND)


@pytest.mark.parametrize("rate", ["-1", "1000.01", "NaN", "Infinity", "1.00001"])
def test_earn_rate_out_of_range_is_refused(rate: str) -> None:
    with pytest.raises(DomainError) as refused:
        check_earn_rate(Decimal(rate))
    assert refused.value.code == ErrorCode.VALIDATION
    assert refused.value.field == ("earnRatePerUnit",)


@given(
    amount=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1000000"), places=2),
    rate=st.decimals(min_value=Decimal("0"), max_value=Decimal("1000"), places=4),
)
def test_base_points_never_exceed_the_stated_rate(amount: Decimal, rate: Decimal) -> None:
    points = evaluate(basket(str(amount)), MemberState(), setup(str(rate)), TODAY, NOW).points
    assert 0 <= points <= amount * rate < points + 1
