"""Programme rules through the GraphQL API, feature by feature, with the refusals."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from tests.support.graphql import EARN, ENROL, GraphQL, key
from tests.support.scene import Scene

SET_RULES = """mutation($input: EarnRulesInput!, $partnerId: ID) { setEarnRules(input: $input, partnerId: $partnerId) {
  rules { baseRate categoryRates { category rate } thresholds { minSpend points } maxPointsPerTransaction }
  errors { code message field } } }"""
COALITION_RULES = """mutation($input: CoalitionRulesInput!) { setCoalitionRules(input: $input) {
  rules { limits { minEarnRate maxEarnRate maxPointsPerMemberPerDay } bonuses { signup birthday referrer referee }
          tiers { basis windowDays tiers { code name threshold multiplier benefits } } enrolmentMode
          transfers { enabled maxPointsPerTransfer maxPointsPerDay } donationMatching { percent } language }
  errors { code message field } } }"""
CAMPAIGN = """mutation($input: CampaignInput!) { createCampaign(input: $input) {
  campaign { id name kind running partner { name } } errors { code message field } } }"""
EARN_WITH_COUPONS = """mutation($input: EarnPointsInput!) { earnPoints(input: $input) {
  transaction { id points explanation coupons { code status qrSvg reward { name } partner { name } } }
  wallet { balance } errors { code message field } } }"""
ME = """{ me { referralCode wallet { balance available } tier { code name progress pointsToNext benefits nextTier }
  stampCards { stamps card { name stampsRequired } } coupons { code status reward { name } }
  wallet { transactions(first: 20) { edges { node { kind points explanation } } } } } }"""


def soon(days: int = 7) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


def ago(days: int = 1) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).isoformat()


async def earn(gql: GraphQL, token: str, card: str, amount: str, **extra: Any) -> dict[str, Any]:
    answer = await gql(
        token, EARN_WITH_COUPONS, input={"idempotencyKey": key(), "cardNumber": card, "amount": amount, **extra}
    )
    result: dict[str, Any] = answer["data"]["earnPoints"]
    return result


async def balance(gql: GraphQL, token: str) -> int:
    answer = await gql(token, "{ me { wallet { balance } } }")
    points: int = answer["data"]["me"]["wallet"]["balance"]
    return points


async def member_token(scene: Scene, member_id: uuid.UUID) -> str:
    from coalition.platform.auth.service import issue
    from coalition.platform.auth.tokens import CredentialKind

    async with scene.town.sessions.begin() as session:
        _, token = await issue(
            session, coalition_id=scene.town.coalition_id, kind=CredentialKind.MEMBER, member_id=member_id
        )
    return token


async def enrol(gql: GraphQL, token: str, **fields: Any) -> dict[str, Any]:
    answer = await gql(token, ENROL, input={"idempotencyKey": key(), **fields})
    result: dict[str, Any] = answer["data"]["enrollMember"]
    return result


async def verify_ledger(scene: Scene) -> None:

    assert await scene.town.ledger_violations() == []


# ---------- a partner's earn rules ----------


async def test_a_manager_sets_category_rates_and_thresholds_and_the_till_explains_them(
    scene: Scene, gql: GraphQL
) -> None:
    rules = {
        "baseRate": "1",
        "categoryRates": [{"category": "books", "rate": "3"}],
        "thresholds": [{"minSpend": "20.00", "points": 10}, {"minSpend": "30.00", "points": 25}],
    }
    saved = await gql(scene.manager_a, SET_RULES, input=rules)
    assert saved["data"]["setEarnRules"]["errors"] == []
    lines = [{"sku": "b-1", "category": "books", "quantity": 2, "unitPrice": "5.00"}]
    result = await earn(gql, scene.pos_a, scene.card_a, "25.00", lines=lines)
    assert result["transaction"]["points"] == 15 + 30 + 10
    assert result["transaction"]["explanation"] == [
        "Base rate 1 per 1 EUR on 15.00 EUR: 15 points",
        "books: 3 per 1 EUR on 10.00 EUR: 30 points",
        "Spend of 20.00 EUR or more: +10",
    ]
    await verify_ledger(scene)


async def test_a_rate_above_the_coalition_maximum_is_refused_and_nothing_changes(scene: Scene, gql: GraphQL) -> None:
    limited = await gql(scene.operator, COALITION_RULES, input={"limits": {"minEarnRate": "0.5", "maxEarnRate": "4"}})
    assert limited["data"]["setCoalitionRules"]["errors"] == []
    refused = await gql(scene.manager_a, SET_RULES, input={"baseRate": "5"})
    assert refused["data"]["setEarnRules"]["errors"] == [
        {
            "code": "VALIDATION",
            "message": "base rate gives 5 points per 1, above the coalition's maximum of 4",
            "field": ["baseRate"],
        }
    ]
    current = await gql(scene.manager_a, "{ earnRules { baseRate } }")
    assert current["data"]["earnRules"] == {"baseRate": "1"}
    assert (await earn(gql, scene.pos_a, scene.card_a, "10"))["transaction"]["points"] == 10


async def test_tightening_the_band_below_a_partners_rate_is_refused(scene: Scene, gql: GraphQL) -> None:
    refused = await gql(scene.operator, COALITION_RULES, input={"limits": {"maxEarnRate": "1.5"}})
    error = refused["data"]["setCoalitionRules"]["errors"][0]
    assert error["code"] == "CONFLICT"
    assert "B: base rate gives 2 points per 1" in error["message"]
    rules = await gql(scene.operator, "{ coalitionRules { limits { maxEarnRate } } }")
    assert rules["data"]["coalitionRules"]["limits"]["maxEarnRate"] == "100"


async def test_a_till_key_may_not_change_rules_and_a_manager_only_its_own(scene: Scene, gql: GraphQL) -> None:
    by_till = await gql(scene.pos_a, SET_RULES, input={"baseRate": "2"})
    assert by_till["data"]["setEarnRules"]["errors"][0]["code"] == "FORBIDDEN"
    other = await gql(scene.manager_a, SET_RULES, input={"baseRate": "2"}, partnerId=str(scene.shop_b))
    assert other["data"]["setEarnRules"]["errors"][0]["code"] == "NOT_FOUND"
    by_member = await gql(scene.member_token_a, SET_RULES, input={"baseRate": "2"})
    assert by_member["data"]["setEarnRules"]["errors"][0]["code"] == "FORBIDDEN"


async def test_every_change_is_in_the_audit_log_for_the_operator_only(scene: Scene, gql: GraphQL) -> None:
    await gql(scene.manager_a, SET_RULES, input={"baseRate": "1.25"})
    query = (
        '{ auditLog(first: 5, actionPrefix: "partner.earn_rules") { edges { node { actor action before after } } } }'
    )
    log = await gql(scene.operator, query)
    entry = log["data"]["auditLog"]["edges"][0]["node"]
    assert entry["action"] == "partner.earn_rules.save"
    assert entry["before"]["baseRate"] == "1.0000"
    assert entry["after"]["baseRate"] == "1.25"
    assert entry["actor"].startswith(f"PARTNER/MANAGER:{scene.shop_a}:credential:")
    assert (await gql(scene.manager_a, query))["data"]["auditLog"] is None


# ---------- campaigns ----------


async def test_a_shop_campaign_doubles_points_until_it_is_ended(scene: Scene, gql: GraphQL) -> None:
    made = await gql(
        scene.manager_a,
        CAMPAIGN,
        input={"name": "Double week", "kind": "MULTIPLIER", "multiplier": "2", "startsAt": ago(), "endsAt": soon()},
    )
    campaign = made["data"]["createCampaign"]["campaign"]
    assert campaign["running"] is True
    assert campaign["partner"] == {"name": "A"}
    doubled = await earn(gql, scene.pos_a, scene.card_a, "10")
    assert doubled["transaction"]["points"] == 20
    assert doubled["transaction"]["explanation"][-1] == "Double week (shop campaign, x2): +10"
    assert (await earn(gql, scene.manager_b, scene.card_b, "10"))["transaction"]["points"] == 20  # B's rate is 2
    ended = await gql(
        scene.manager_a, "mutation($id: ID!) { endCampaign(id: $id) { campaign { running } } }", id=campaign["id"]
    )
    assert ended["data"]["endCampaign"]["campaign"]["running"] is False
    assert (await earn(gql, scene.pos_a, scene.card_a, "10"))["transaction"]["points"] == 10


async def test_a_coalition_campaign_is_paid_by_the_coalition_at_every_shop(scene: Scene, gql: GraphQL) -> None:
    made = await gql(
        scene.operator,
        CAMPAIGN,
        input={"name": "Market day", "kind": "FIXED_BONUS", "bonusPoints": 50, "startsAt": ago(), "endsAt": soon()},
    )
    assert made["data"]["createCampaign"]["campaign"]["partner"] is None
    result = await earn(gql, scene.pos_a, scene.card_a, "10")
    assert result["transaction"]["points"] == 60
    async with scene.town.engine.connect() as connection:
        from sqlalchemy import text

        lots = (
            await connection.execute(
                text("SELECT issuer_partner_id, points FROM lots WHERE transaction_id = :t ORDER BY points"),
                {"t": uuid.UUID(result["transaction"]["id"])},
            )
        ).all()
    assert [(row.issuer_partner_id, row.points) for row in lots] == [(scene.shop_a, 10), (None, 50)]
    await verify_ledger(scene)


async def test_a_partners_campaign_above_the_band_is_refused(scene: Scene, gql: GraphQL) -> None:
    await gql(scene.operator, COALITION_RULES, input={"limits": {"maxEarnRate": "2"}})
    refused = await gql(
        scene.manager_b,
        CAMPAIGN,
        input={"name": "Triple", "kind": "MULTIPLIER", "multiplier": "3", "startsAt": ago(), "endsAt": soon()},
    )
    assert refused["data"]["createCampaign"]["errors"][0]["field"] == ["multiplier"]


# ---------- coalition bonuses and tiers ----------


async def test_sign_up_bonus_is_funded_by_the_coalition(scene: Scene, gql: GraphQL) -> None:
    await gql(scene.operator, COALITION_RULES, input={"bonuses": {"signup": 100}})
    joined = await enrol(gql, scene.pos_a, email="new@example.org")
    assert joined["member"]["wallet"]["balance"] == 100
    token = await member_token(scene, uuid.UUID(joined["member"]["id"]))
    me = await gql(token, ME)
    bonus = me["data"]["me"]["wallet"]["transactions"]["edges"][0]["node"]
    assert bonus == {"kind": "BONUS", "points": 100, "explanation": ["Welcome bonus (coalition): +100"]}


TIERS = {
    "tiers": [
        {"code": "BRONZE", "name": "Bronze", "threshold": 0},
        {"code": "SILVER", "name": "Silver", "threshold": 300, "multiplier": "1.5", "benefits": ["Early sales"]},
        {"code": "GOLD", "name": "Gold", "threshold": 1000, "multiplier": "2", "benefits": ["Free delivery"]},
    ]
}


async def test_tiers_rise_on_earning_and_multiply_the_next_purchase(scene: Scene, gql: GraphQL) -> None:
    saved = await gql(scene.operator, COALITION_RULES, input={"tiers": TIERS})
    assert saved["data"]["setCoalitionRules"]["errors"] == []
    me = (await gql(scene.member_token_a, ME))["data"]["me"]
    # The member earned 100 points before: Bronze, 200 to go to Silver.
    assert me["tier"] == {
        "code": "BRONZE", "name": "Bronze", "progress": "0.3333", "pointsToNext": 200, "benefits": [],
        "nextTier": "Silver",
    }  # fmt: skip
    await earn(gql, scene.pos_a, scene.card_a, "250")
    me = (await gql(scene.member_token_a, ME))["data"]["me"]
    assert me["tier"]["name"] == "Silver"
    assert me["tier"]["benefits"] == ["Early sales"]
    assert me["tier"]["pointsToNext"] == 650
    boosted = await earn(gql, scene.pos_a, scene.card_a, "10")
    assert boosted["transaction"]["points"] == 15
    assert boosted["transaction"]["explanation"][-1] == "Silver tier x1.5: +5"


async def test_the_daily_review_moves_members_down_after_the_retention_period(scene: Scene, gql: GraphQL) -> None:
    from coalition.platform.programme.service import review_tiers

    await gql(scene.operator, COALITION_RULES, input={"tiers": {**TIERS, "windowDays": 30, "retentionDays": 10}})
    await earn(gql, scene.pos_a, scene.card_a, "1000")  # 1100 points: Gold
    assert (await gql(scene.member_token_a, ME))["data"]["me"]["tier"]["code"] == "GOLD"
    later = datetime.now(UTC).date() + timedelta(days=45)  # the window no longer holds those points
    async with scene.town.sessions.begin() as session:
        assert await review_tiers(session, scene.town.coalition_id, later) == 2  # A falls; B (200 points) too
    assert (await gql(scene.member_token_a, ME))["data"]["me"]["tier"]["code"] == "SILVER"
    async with scene.town.sessions.begin() as session:
        assert await review_tiers(session, scene.town.coalition_id, later + timedelta(days=1)) == 0  # retained
        assert await review_tiers(session, scene.town.coalition_id, later + timedelta(days=10)) == 1
    assert (await gql(scene.member_token_a, ME))["data"]["me"]["tier"]["code"] == "BRONZE"


async def test_the_birthday_bonus_is_paid_once_in_the_birthday_month(scene: Scene, gql: GraphQL) -> None:
    await gql(scene.operator, COALITION_RULES, input={"bonuses": {"birthday": 150, "birthdayPeriod": "MONTH"}})
    today = datetime.now(UTC).date()
    joined = await enrol(gql, scene.pos_a, birthDate=date(1990, today.month, 1).isoformat())
    card = joined["member"]["cardNumber"]
    first = await earn(gql, scene.pos_a, card, "10")
    assert first["transaction"]["points"] == 160
    assert "Happy birthday (coalition bonus): +150" in first["transaction"]["explanation"]
    assert (await earn(gql, scene.pos_a, card, "10"))["transaction"]["points"] == 10


async def test_the_daily_cap_trims_what_a_member_earns_in_a_day(scene: Scene, gql: GraphQL) -> None:
    await gql(scene.operator, COALITION_RULES, input={"limits": {"maxPointsPerMemberPerDay": 250}})
    # Member A already earned 100 today.
    capped = await earn(gql, scene.pos_a, scene.card_a, "200")
    assert capped["transaction"]["points"] == 150
    assert capped["transaction"]["explanation"][-1] == "Daily limit of 250 points per member: -50"
    nothing = await earn(gql, scene.pos_a, scene.card_a, "20")
    assert nothing["errors"] == []
    assert nothing["transaction"]["points"] == 0


# ---------- referrals ----------


async def test_a_referral_pays_both_members_on_the_first_qualifying_purchase(scene: Scene, gql: GraphQL) -> None:
    await gql(
        scene.operator,
        COALITION_RULES,
        input={"bonuses": {"referrer": 300, "referee": 100, "referralMinPurchase": "20.00"}},
    )
    code = (await gql(scene.member_token_a, ME))["data"]["me"]["referralCode"]
    joined = await enrol(gql, scene.pos_a, email="friend@example.org", referralCode=code.lower())
    assert joined["errors"] == []
    card = joined["member"]["cardNumber"]
    before = await balance(gql, scene.member_token_a)
    small = await earn(gql, scene.pos_a, card, "19.99")
    assert small["transaction"]["points"] == 19
    first = await earn(gql, scene.pos_a, card, "20")
    assert first["transaction"]["points"] == 120
    assert await balance(gql, scene.member_token_a) == before + 300
    again = await earn(gql, scene.pos_a, card, "20")
    assert again["transaction"]["points"] == 20
    assert await balance(gql, scene.member_token_a) == before + 300
    await verify_ledger(scene)


async def test_self_referral_and_referral_loops_are_refused(scene: Scene, gql: GraphQL) -> None:
    apply = "mutation($code: String!) { applyReferralCode(code: $code) { done errors { code message field } } }"
    own = (await gql(scene.member_token_b, ME))["data"]["me"]["referralCode"]
    selfish = await gql(scene.member_token_b, apply, code=own)
    assert selfish["data"]["applyReferralCode"]["errors"] == [
        {"code": "VALIDATION", "message": "a member cannot use their own referral code", "field": ["referralCode"]}
    ]
    # A new member C is referred by B; B then tries to name C as referrer: a loop.
    joined = await enrol(gql, scene.pos_a, referralCode=own)
    c_token = await member_token(scene, uuid.UUID(joined["member"]["id"]))
    c_code = (await gql(c_token, ME))["data"]["me"]["referralCode"]
    # B has purchased already, so first make a fresh pair: D refers E, then D names E.
    d = await enrol(gql, scene.pos_a)
    d_token = await member_token(scene, uuid.UUID(d["member"]["id"]))
    d_code = (await gql(d_token, ME))["data"]["me"]["referralCode"]
    e = await enrol(gql, scene.pos_a, referralCode=d_code)
    e_code = (await gql(await member_token(scene, uuid.UUID(e["member"]["id"])), ME))["data"]["me"]["referralCode"]
    loop = await gql(d_token, apply, code=e_code)
    assert loop["data"]["applyReferralCode"]["errors"][0]["message"] == (
        "this referral would make a loop of members referring each other"
    )
    late = await gql(scene.member_token_a, apply, code=c_code)
    assert late["data"]["applyReferralCode"]["errors"][0]["code"] == "CONFLICT"  # A has purchased already
    unknown = await enrol(gql, scene.pos_a, referralCode="NOPE2345")
    assert unknown["errors"][0]["code"] == "NOT_FOUND"


# ---------- cross-shop challenges ----------


async def test_a_challenge_pays_once_at_the_third_different_shop(scene: Scene, gql: GraphQL) -> None:
    shop_c, manager_c = await scene.town.partner("C", "1")
    made = await gql(
        scene.operator,
        """mutation($input: ChallengeInput!) { createChallenge(input: $input) {
             challenge { id name partners { name } } errors { code message field } } }""",
        input={
            "name": "Three shops", "distinctPartners": 3, "period": "MONTH", "bonusPoints": 500,
            "funding": "SHARED", "partnerIds": [str(scene.shop_a), str(scene.shop_b), str(shop_c)],
            "startsAt": ago(), "endsAt": soon(40),
        },
    )  # fmt: skip
    assert made["data"]["createChallenge"]["errors"] == []
    card = scene.card_a  # already shopped at A today
    assert (await earn(gql, scene.manager_b, card, "10"))["transaction"]["points"] == 20
    third = await earn(gql, manager_c, card, "10")
    assert third["transaction"]["points"] == 10 + 500
    assert third["transaction"]["explanation"][-1].startswith("Three shops (cross-shop challenge, 3 shops), shared by")
    assert (await earn(gql, manager_c, card, "10"))["transaction"]["points"] == 10
    async with scene.town.engine.connect() as connection:
        from sqlalchemy import text

        funders = dict(
            (
                await connection.execute(
                    text("SELECT issuer_partner_id, points FROM lots WHERE transaction_id = :t"),
                    {"t": uuid.UUID(third["transaction"]["id"])},
                )
            ).all()
        )
    assert funders == {shop_c: 10 + 168, scene.shop_a: 166, scene.shop_b: 166}
    await verify_ledger(scene)


# ---------- stamp cards, rewards and coupons ----------

REWARD = """mutation($input: RewardInput!) { createReward(input: $input) { reward { id name pointsCost }
  errors { code message field } } }"""
USE = """mutation($input: UseCouponInput!) { useCoupon(input: $input) { coupon { code status }
  reward { name } errors { code message field } } }"""


async def test_a_full_stamp_card_gives_a_coupon_shown_in_the_wallet(scene: Scene, gql: GraphQL) -> None:
    reward = await gql(scene.manager_a, REWARD, input={"name": "Free coffee", "kind": "FREE_PRODUCT", "validDays": 30})
    reward_id = reward["data"]["createReward"]["reward"]["id"]
    card = await gql(
        scene.manager_a,
        """mutation($input: StampCardInput!) { createStampCard(input: $input) { stampCard { id name }
           errors { code message field } } }""",
        input={"name": "Coffee card", "stampsRequired": 5, "rewardId": reward_id, "categories": ["coffee"]},
    )
    assert card["data"]["createStampCard"]["errors"] == []
    coffee = [{"sku": "espresso", "category": "coffee", "quantity": 3, "unitPrice": "2.50"}]
    first = await earn(gql, scene.pos_a, scene.card_a, "7.50", lines=coffee)
    assert "Coffee card: +3 stamps, 3/5" in first["transaction"]["explanation"]
    assert first["transaction"]["coupons"] == []
    second = await earn(gql, scene.pos_a, scene.card_a, "7.50", lines=coffee)
    coupons = second["transaction"]["coupons"]
    assert [(c["reward"]["name"], c["status"], c["partner"]["name"]) for c in coupons] == [
        ("Free coffee", "ISSUED", "A")
    ]
    assert coupons[0]["qrSvg"].startswith("<svg")
    me = (await gql(scene.member_token_a, ME))["data"]["me"]
    assert me["stampCards"] == [{"stamps": 1, "card": {"name": "Coffee card", "stampsRequired": 5}}]
    assert me["coupons"] == [{"code": coupons[0]["code"], "status": "ISSUED", "reward": {"name": "Free coffee"}}]
    used = await gql(scene.pos_a, USE, input={"code": coupons[0]["code"].lower(), "receiptRef": "r-9"})
    assert used["data"]["useCoupon"]["coupon"]["status"] == "USED"


async def test_a_reward_bought_with_points_is_a_redemption_and_a_single_use_coupon(scene: Scene, gql: GraphQL) -> None:
    reward = await gql(
        scene.manager_b, REWARD, input={"name": "5 euro off", "kind": "FIXED_DISCOUNT", "value": "5.00",
                                        "pointsCost": 80, "validDays": 14},
    )  # fmt: skip
    reward_id = reward["data"]["createReward"]["reward"]["id"]
    catalogue = await gql(scene.member_token_a, "{ rewards { name pointsCost partner { name } } }")
    assert {"name": "5 euro off", "pointsCost": 80, "partner": {"name": "B"}} in catalogue["data"]["rewards"]
    buy = """mutation($input: BuyRewardInput!) { buyReward(input: $input) {
      coupon { code status expiresAt } posting { transaction { kind points partner { name } } wallet { balance } }
      errors { code message field } } }"""
    idempotency = key()
    bought = await gql(scene.member_token_a, buy, input={"idempotencyKey": idempotency, "rewardId": reward_id})
    result = bought["data"]["buyReward"]
    assert result["posting"]["transaction"] == {"kind": "REDEEM", "points": -80, "partner": {"name": "B"}}
    assert result["posting"]["wallet"]["balance"] == 20
    again = await gql(scene.member_token_a, buy, input={"idempotencyKey": idempotency, "rewardId": reward_id})
    assert again["data"]["buyReward"]["coupon"]["code"] == result["coupon"]["code"]
    assert await balance(gql, scene.member_token_a) == 20
    broke = await gql(scene.member_token_a, buy, input={"idempotencyKey": key(), "rewardId": reward_id})
    assert broke["data"]["buyReward"]["errors"][0]["code"] == "INSUFFICIENT_POINTS"

    code = result["coupon"]["code"]
    wrong_shop = await gql(scene.pos_a, USE, input={"code": code})
    assert wrong_shop["data"]["useCoupon"]["errors"] == [
        {"code": "FORBIDDEN", "message": "this coupon is for another partner", "field": ["code"]}
    ]
    first = await gql(scene.manager_b, USE, input={"code": code, "receiptRef": "till-2"})
    assert first["data"]["useCoupon"]["coupon"]["status"] == "USED"
    assert first["data"]["useCoupon"]["reward"]["name"] == "5 euro off"
    twice = await gql(scene.manager_b, USE, input={"code": code})
    assert twice["data"]["useCoupon"]["errors"][0]["code"] == "CONFLICT"
    assert "already used" in twice["data"]["useCoupon"]["errors"][0]["message"]
    unknown = await gql(scene.manager_b, USE, input={"code": "CPN-AAAA-BBBB-CCCC"})
    assert unknown["data"]["useCoupon"]["errors"][0]["code"] == "NOT_FOUND"
    await verify_ledger(scene)


# ---------- donations, transfers, enrolment ----------


async def test_donations_are_matched_and_the_charity_total_shows_them(scene: Scene, gql: GraphQL) -> None:
    await gql(scene.operator, COALITION_RULES, input={"donationMatching": {"percent": 50}})
    made = await gql(
        scene.operator,
        'mutation { createCharity(input: {name: "Food bank"}) { charity { id } errors { code } } }',
    )
    charity = made["data"]["createCharity"]["charity"]["id"]
    donate = """mutation($input: DonatePointsInput!) { donatePoints(input: $input) {
      transaction { kind points explanation } wallet { balance } errors { code message } } }"""
    given = await gql(scene.member_token_a, donate, input={"idempotencyKey": key(), "charityId": charity, "points": 40})
    result = given["data"]["donatePoints"]
    assert result["transaction"] == {
        "kind": "DONATE", "points": -40, "explanation": ["Donated 40 points", "Matched by the coalition: +20"]
    }  # fmt: skip
    assert result["wallet"]["balance"] == 60
    too_much = await gql(
        scene.member_token_a, donate, input={"idempotencyKey": key(), "charityId": charity, "points": 61}
    )
    assert too_much["data"]["donatePoints"]["errors"][0]["code"] == "INSUFFICIENT_POINTS"
    totals = await gql(scene.member_token_b, "{ charities { name totalPoints } }")
    assert totals["data"]["charities"] == [{"name": "Food bank", "totalPoints": 60}]
    await verify_ledger(scene)


TRANSFER = """mutation($input: TransferPointsInput!) { transferPoints(input: $input) {
  transaction { kind points } wallet { balance } errors { code message field } } }"""


async def test_transfers_between_members_follow_the_coalitions_limits(scene: Scene, gql: GraphQL) -> None:
    send = {"idempotencyKey": key(), "toCardNumber": scene.card_b, "points": 30}
    off = await gql(scene.member_token_a, TRANSFER, input=send)
    assert off["data"]["transferPoints"]["errors"][0]["code"] == "FORBIDDEN"
    await gql(
        scene.operator,
        COALITION_RULES,
        input={"transfers": {"enabled": True, "maxPointsPerTransfer": 50, "maxPointsPerDay": 60}},
    )
    sent = await gql(scene.member_token_a, TRANSFER, input=send)
    assert sent["data"]["transferPoints"]["transaction"] == {"kind": "TRANSFER", "points": -30}
    assert sent["data"]["transferPoints"]["wallet"]["balance"] == 70
    assert await balance(gql, scene.member_token_b) == 230
    over_once = await gql(scene.member_token_a, TRANSFER, input={**send, "idempotencyKey": key(), "points": 51})
    assert over_once["data"]["transferPoints"]["errors"][0]["code"] == "LIMIT_EXCEEDED"
    over_day = await gql(scene.member_token_a, TRANSFER, input={**send, "idempotencyKey": key(), "points": 31})
    assert (
        over_day["data"]["transferPoints"]["errors"][0]["message"]
        == "this transfer would exceed the daily transfer limit"
    )
    to_self = await gql(
        scene.member_token_a, TRANSFER, input={**send, "idempotencyKey": key(), "toCardNumber": scene.card_a}
    )
    assert to_self["data"]["transferPoints"]["errors"][0]["code"] == "VALIDATION"
    async with scene.town.engine.connect() as connection:
        from sqlalchemy import text

        issuers = (
            await connection.execute(
                text("SELECT issuer_partner_id FROM lots WHERE member_id = (SELECT id FROM members WHERE card_number = :c)"
                     " AND points = 30"), {"c": scene.card_b},
            )
        ).scalars().all()  # fmt: skip
    assert issuers == [scene.shop_a]  # the points keep their issuer, for settlement
    await verify_ledger(scene)


async def test_an_invite_only_pilot_needs_an_invite_with_uses_left(scene: Scene, gql: GraphQL) -> None:
    await gql(scene.operator, COALITION_RULES, input={"enrolmentMode": "INVITE_ONLY"})
    refused = await enrol(gql, scene.pos_a)
    assert refused["errors"][0]["code"] == "MEMBER_NOT_ELIGIBLE"
    made = await gql(scene.operator, "mutation { createInvite(input: {maxUses: 1}) { code errors { code } } }")
    code = made["data"]["createInvite"]["code"]
    assert (await enrol(gql, scene.pos_a, inviteCode=code))["errors"] == []
    used_up = await enrol(gql, scene.pos_a, inviteCode=code)
    assert used_up["errors"][0]["code"] == "MEMBER_NOT_ELIGIBLE"


# ---------- programme terms ----------


async def test_the_terms_are_written_from_the_live_rules_in_english_and_dutch(
    scene: Scene, gql: GraphQL, client: Any
) -> None:
    await gql(scene.operator, COALITION_RULES, input={"tiers": TIERS, "bonuses": {"signup": 100}, "language": "nl"})
    query = "query($l: String) { programTerms(language: $l) { language title sections { title lines } url } }"
    english = (await gql(scene.member_token_a, query, l="en"))["data"]["programTerms"]
    lines = [line for section in english["sections"] for line in section["lines"]]
    assert "A: 1 point per €1.00 spent" in lines
    assert "Welcome bonus: 100 points when you join." in lines
    assert "Silver: from 300; 1.5 times the base points; Early sales" in lines
    dutch = (await gql(scene.member_token_a, query))["data"]["programTerms"]  # the coalition's language
    assert dutch["language"] == "nl"
    assert dutch["title"] == "Test Town: spaarvoorwaarden"
    assert [s["title"] for s in dutch["sections"]][:3] == ["Uw punten", "Sparen bij onze winkels", "Grenzen"]
    await gql(scene.manager_a, SET_RULES, input={"baseRate": "1.5"})
    page = await client.get(dutch["url"])
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<html lang="nl">' in page.text
    assert "A: 1,5 punten per €\xa01,00 besteed" in page.text  # the change shows at once
    missing = await client.get("/terms/no-such-town")
    assert missing.status_code == 404


async def test_saved_rules_reach_every_api_process_at_once(settings: Any, scene: Scene) -> None:
    """Two API processes keep programme rules in memory; a rate saved through
    one applies at the other's next purchase (Redis broadcast), not only when
    its cache expires."""
    import asyncio

    from litestar.testing import AsyncTestClient

    from coalition.app import create_app

    async def earned(client: Any) -> int:
        response = await client.post(
            "/graphql",
            json={"query": EARN, "variables": {"input": {"idempotencyKey": key(), "cardNumber": scene.card_a,
                                                         "amount": "10"}}},
            headers={"Authorization": f"Bearer {scene.pos_a}"},
        )  # fmt: skip
        points: int = response.json()["data"]["earnPoints"]["transaction"]["points"]
        return points

    async with AsyncTestClient(create_app(settings)) as first, AsyncTestClient(create_app(settings)) as second:
        assert await earned(second) == 10  # the rules are now remembered there
        saved = await first.post(
            "/graphql",
            json={"query": SET_RULES, "variables": {"input": {"baseRate": "3"}}},
            headers={"Authorization": f"Bearer {scene.manager_a}"},
        )
        assert saved.json()["data"]["setEarnRules"]["errors"] == []
        for _ in range(50):
            if await earned(second) == 30:
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError("the other process still applies the old rate")


async def test_a_coupon_campaign_gives_a_coupon_with_a_qualifying_purchase(scene: Scene, gql: GraphQL) -> None:
    reward = await gql(
        scene.manager_a, REWARD, input={"name": "Free tote bag", "kind": "FREE_PRODUCT", "validDays": 60}
    )
    reward_id = reward["data"]["createReward"]["reward"]["id"]
    made = await gql(
        scene.manager_a,
        CAMPAIGN,
        input={"name": "Tote bag", "kind": "COUPON", "rewardId": reward_id, "minSpend": "40.00",
               "startsAt": ago(), "endsAt": soon()},
    )  # fmt: skip
    assert made["data"]["createCampaign"]["errors"] == []
    assert (await earn(gql, scene.pos_a, scene.card_a, "39.99"))["transaction"]["coupons"] == []
    qualifying = await earn(gql, scene.pos_a, scene.card_a, "40.00")
    assert [c["reward"]["name"] for c in qualifying["transaction"]["coupons"]] == ["Free tote bag"]
    assert "Tote bag: coupon issued" in qualifying["transaction"]["explanation"]


async def test_malformed_programme_input_is_refused_with_its_field_and_changes_nothing(
    scene: Scene, gql: GraphQL
) -> None:
    backwards = await gql(
        scene.manager_a,
        CAMPAIGN,
        input={"name": "Oops", "kind": "FIXED_BONUS", "bonusPoints": 5, "minSpend": "10", "startsAt": soon(),
               "endsAt": ago()},
    )  # fmt: skip
    assert backwards["data"]["createCampaign"]["errors"][0]["field"] == ["endsAt"]
    unknown_tier = await gql(
        scene.operator,
        CAMPAIGN,
        input={"name": "Gold day", "kind": "FIXED_BONUS", "bonusPoints": 5, "tiers": ["PLATINUM"],
               "startsAt": ago(), "endsAt": soon()},
    )  # fmt: skip
    assert unknown_tier["data"]["createCampaign"]["errors"][0]["message"] == "no such tier: PLATINUM"
    others_reward = await gql(scene.manager_b, REWARD, input={"name": "Pen", "kind": "FREE_PRODUCT", "validDays": 5})
    card = await gql(
        scene.manager_a,
        "mutation($input: StampCardInput!) { createStampCard(input: $input) { errors { code field } } }",
        input={"name": "Pens", "stampsRequired": 3, "rewardId": others_reward["data"]["createReward"]["reward"]["id"]},
    )
    assert card["data"]["createStampCard"]["errors"] == [{"code": "FORBIDDEN", "field": ["rewardId"]}]
    bad_rules = await gql(
        scene.operator, COALITION_RULES, input={"tiers": {"tiers": [{"code": "X", "name": "X", "threshold": 5}]}}
    )
    assert bad_rules["data"]["setCoalitionRules"]["errors"][0]["field"] == ["tiers", "tiers", "0"]
    percent = await gql(
        scene.manager_a, REWARD, input={"name": "Half off", "kind": "PERCENT_DISCOUNT", "value": "150", "validDays": 5}
    )
    assert percent["data"]["createReward"]["errors"][0]["field"] == ["value"]
    listed = await gql(scene.operator, "{ campaigns(includeEnded: true) { name } stampCards { name } }")
    assert listed["data"] == {"campaigns": [], "stampCards": []}


async def test_a_new_partner_starts_inside_the_coalitions_band(scene: Scene, gql: GraphQL) -> None:
    await gql(scene.operator, COALITION_RULES, input={"limits": {"maxEarnRate": "3"}})
    create = """mutation($input: CreatePartnerInput!) { createPartner(input: $input) {
      partner { name } errors { code message field } } }"""
    refused = await gql(scene.operator, create, input={"name": "Wine bar", "earnRatePerUnit": "4"})
    assert refused["data"]["createPartner"]["errors"] == [
        {
            "code": "VALIDATION",
            "message": "base rate gives 4 points per 1, above the coalition's maximum of 3",
            "field": ["earnRatePerUnit"],
        }
    ]
    made = await gql(scene.operator, create, input={"name": "Wine bar", "earnRatePerUnit": "3"})
    assert made["data"]["createPartner"]["partner"] == {"name": "Wine bar"}
