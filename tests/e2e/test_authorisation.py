"""Who may do what, with whose data: one row a case. A denied read looks like
a missing record; a denied write is a FORBIDDEN (or NOT_FOUND) payload error."""

import pytest

from tests.support.graphql import EARN, ENROL, REDEEM, REVERSE, key

CREDENTIALS = ["operator", "manager_a", "pos_a", "manager_b", "member_token_a", "member_token_b"]


async def _read_transaction(gql, scene, who, whose):
    tid = scene.earn_a if whose == "A" else scene.earn_b
    answer = await gql(getattr(scene, who), "query($id: ID!) { transaction(id: $id) { id } }", id=tid)
    return "seen" if answer["data"]["transaction"] else "null"


async def _read_member(gql, scene, who, whose):
    card = scene.card_a if whose == "A" else scene.card_b
    answer = await gql(getattr(scene, who), "query($c: String!) { member(cardNumber: $c) { id } }", c=card)
    return "seen" if answer["data"]["member"] else "null"


async def _history(gql, scene, who, whose):
    """How many of member A's transactions the caller sees (A's own earn at shop A)."""
    answer = await gql(
        getattr(scene, who),
        "query($c: String!) { member(cardNumber: $c) { wallet { transactions { edges { node { id } } } } } }",
        c=scene.card_a,
    )
    member = answer["data"]["member"]
    return "null" if member is None else len(member["wallet"]["transactions"]["edges"])


async def _me(gql, scene, who, whose):
    answer = await gql(getattr(scene, who), "{ me { cardNumber } }")
    me = answer["data"]["me"]
    return "null" if me is None else ("A" if me["cardNumber"] == scene.card_a else "B")


def _outcome(payload):
    return payload["errors"][0]["code"] if payload["errors"] else "ok"


async def _mutate(gql, scene, who, mutation: str, **variables):
    """The outcome of one mutation whose payload has errors { code }."""
    answer = await gql(getattr(scene, who), mutation, **variables)
    return _outcome(next(iter(answer["data"].values())))


def _shop(scene, whose):
    return scene.shop_a if whose == "A" else scene.shop_b


async def _earn(gql, scene, who, whose):
    return await _mutate(
        gql, scene, who, EARN, input={"idempotencyKey": key(), "cardNumber": scene.card_a, "amount": "5"}
    )


async def _redeem(gql, scene, who, whose):
    return await _mutate(
        gql, scene, who, REDEEM, input={"idempotencyKey": key(), "cardNumber": scene.card_a, "points": 1}
    )


async def _reverse(gql, scene, who, whose):
    tid = scene.earn_a if whose == "A" else scene.earn_b
    return await _mutate(gql, scene, who, REVERSE, input={"idempotencyKey": key(), "transactionId": tid, "points": 1})


async def _enrol(gql, scene, who, whose):
    return await _mutate(gql, scene, who, ENROL, input={"idempotencyKey": key()})


async def _create_partner(gql, scene, who, whose):
    mutation = 'mutation { createPartner(input: {name: "X", earnRatePerUnit: "1"}) { errors { code } } }'
    return await _mutate(gql, scene, who, mutation)


async def _suspend(gql, scene, who, whose):
    mutation = 'mutation($id: ID!) { suspendPartner(id: $id, reason: "r") { errors { code } } }'
    return await _mutate(gql, scene, who, mutation, id=str(_shop(scene, whose)))


async def _api_key(gql, scene, who, whose):
    mutation = "mutation($p: ID) { createApiKey(role: POS, partnerId: $p) { errors { code } } }"
    return await _mutate(gql, scene, who, mutation, p=str(_shop(scene, whose)))


async def _set_earn_rules(gql, scene, who, whose):
    mutation = 'mutation($p: ID) { setEarnRules(partnerId: $p, input: {baseRate: "1"}) { errors { code } } }'
    return await _mutate(gql, scene, who, mutation, p=str(_shop(scene, whose)))


async def _create_campaign(gql, scene, who, whose):
    mutation = """mutation($p: ID) { createCampaign(input: {partnerId: $p, name: "x2", kind: MULTIPLIER,
        multiplier: "2", startsAt: "2026-01-01T00:00:00Z", endsAt: "2036-01-01T00:00:00Z"}) { errors { code } } }"""
    return await _mutate(gql, scene, who, mutation, p=str(scene.shop_a))


async def _create_reward(gql, scene, who, whose):
    mutation = """mutation($p: ID) { createReward(partnerId: $p, input: {name: "Cake", kind: FREE_PRODUCT,
        validDays: 9}) { errors { code } } }"""
    return await _mutate(gql, scene, who, mutation, p=str(scene.shop_a))


async def _operator_only(mutation: str, gql, scene, who):
    return await _mutate(gql, scene, who, f"mutation {{ {mutation} {{ errors {{ code }} }} }}")


async def _coalition_rules(gql, scene, who, whose):
    return await _operator_only('setCoalitionRules(input: {language: "nl"})', gql, scene, who)


async def _create_charity(gql, scene, who, whose):
    return await _operator_only('createCharity(input: {name: "Food bank"})', gql, scene, who)


async def _create_invite(gql, scene, who, whose):
    return await _operator_only("createInvite(input: {maxUses: 5})", gql, scene, who)


async def _audit_log(gql, scene, who, whose):
    answer = await gql(getattr(scene, who), "{ auditLog(first: 1) { edges { node { action } } } }")
    return "seen" if answer["data"]["auditLog"] else "null"


async def _donate(gql, scene, who, whose):
    mutation = """mutation($k: String!) { donatePoints(input: {idempotencyKey: $k, points: 1,
        charityId: "00000000-0000-0000-0000-000000000000"}) { errors { code } } }"""
    return await _mutate(gql, scene, who, mutation, k=key())


async def _outstanding_points(gql, scene, who, whose):
    pid = scene.shop_a if whose == "A" else scene.shop_b
    answer = await gql(getattr(scene, who), "query($id: ID!) { partner(id: $id) { outstandingPoints } }", id=str(pid))
    return "seen" if answer["data"]["partner"]["outstandingPoints"] is not None else "null"


async def _referral_code(gql, scene, who, whose):
    answer = await gql(
        getattr(scene, who), "query($c: String!) { member(cardNumber: $c) { referralCode } }", c=scene.card_a
    )
    member = answer["data"]["member"]
    return "null" if member is None or member["referralCode"] is None else "seen"


async def _read_earn_rules(gql, scene, who, whose):
    answer = await gql(
        getattr(scene, who), "query($p: ID) { earnRules(partnerId: $p) { baseRate } }", p=str(scene.shop_a)
    )
    rules = answer["data"]["earnRules"]
    return "null" if rules is None else rules["baseRate"]


async def _withdrawn_rewards(gql, scene, who, whose):
    """How many of shop A's rewards the caller lists, one of them withdrawn."""
    for active in (True, False):
        created = await gql(
            scene.manager_a,
            """mutation($a: Boolean!) { createReward(input: {name: "Cake", kind: FREE_PRODUCT, validDays: 9,
                 pointsCost: 10, active: $a}) { errors { code } } }""",
            a=active,
        )
        assert created["data"]["createReward"]["errors"] == []
    answer = await gql(getattr(scene, who), "query($p: ID) { rewards(partnerId: $p) { id } }", p=str(scene.shop_a))
    return len(answer["data"]["rewards"])


async def _inactive_charities(gql, scene, who, whose):
    """How many charities the caller lists, one of two withdrawn."""
    for active in (True, False):
        created = await gql(
            scene.operator, 'mutation { createCharity(input: {name: "Food bank"}) { charity { id } errors { code } } }'
        )
        changed = await gql(
            scene.operator,
            """mutation($id: ID!, $a: Boolean!) { updateCharity(id: $id, input: {name: "Food bank", active: $a})
                 { errors { code } } }""",
            id=created["data"]["createCharity"]["charity"]["id"],
            a=active,
        )
        assert changed["data"]["updateCharity"]["errors"] == []
    answer = await gql(getattr(scene, who), "{ charities { id } }")
    return len(answer["data"]["charities"])


async def _update_reward(gql, scene, who, whose):
    created = await gql(
        scene.manager_a,
        'mutation { createReward(input: {name: "Cake", kind: FREE_PRODUCT, validDays: 9}) { reward { id } } }',
    )
    answer = await gql(
        getattr(scene, who),
        """mutation($id: ID!) { updateReward(id: $id, input: {name: "Pie", kind: FREE_PRODUCT, validDays: 9})
             { errors { code } } }""",
        id=created["data"]["createReward"]["reward"]["id"],
    )
    return _outcome(answer["data"]["updateReward"])


async def _settled_day(gql, scene) -> str:
    """The business day of the scene's purchases, settled (provisionally) by the operator."""
    answer = await gql(scene.operator, "query($id: ID!) { transaction(id: $id) { businessDate } }", id=scene.earn_a)
    day = answer["data"]["transaction"]["businessDate"]
    ran = await gql(
        scene.operator, "mutation($d: Date!) { runSettlement(businessDate: $d) { errors { code } } }", d=day
    )
    assert ran["data"]["runSettlement"]["errors"] == []
    return day


async def _settlement_lines(gql, scene, who, whose):
    """Which parties' lines of the day's run the caller sees."""
    day = await _settled_day(gql, scene)
    answer = await gql(
        getattr(scene, who),
        "query($d: Date!) { settlementRun(businessDate: $d) { lines { partner { name } } } }",
        d=day,
    )
    run = answer["data"]["settlementRun"]
    if run is None:
        return "null"
    return "+".join(sorted(line["partner"]["name"] if line["partner"] else "coalition" for line in run["lines"]))


async def _statement(gql, scene, who, whose):
    day = await _settled_day(gql, scene)
    pid = scene.shop_a if whose == "A" else scene.shop_b
    answer = await gql(
        getattr(scene, who),
        "query($d: Date!, $p: ID) { settlementRun(businessDate: $d) { statement(format: CSV, partnerId: $p) { url } } }",
        d=day,
        p=str(pid),
    )
    run = answer["data"]["settlementRun"]
    return "null" if run is None or run["statement"] is None else "seen"


async def _payout_period(gql, scene, who, whose):
    answer = await gql(getattr(scene, who), '{ payoutPeriod(start: "2026-01-01", end: "2026-01-31") { approvedDays } }')
    return "seen" if answer["data"]["payoutPeriod"] else "null"


OPERATIONS = {
    "transaction": _read_transaction,
    "member": _read_member,
    "history of A": _history,
    "me": _me,
    "earn for A": _earn,
    "redeem from A": _redeem,
    "reverse": _reverse,
    "enrol": _enrol,
    "createPartner": _create_partner,
    "suspendPartner": _suspend,
    "createApiKey": _api_key,
    "setEarnRules": _set_earn_rules,
    "createCampaign for A": _create_campaign,
    "createReward for A": _create_reward,
    "setCoalitionRules": _coalition_rules,
    "createCharity": _create_charity,
    "createInvite": _create_invite,
    "auditLog": _audit_log,
    "donatePoints": _donate,
    "outstandingPoints": _outstanding_points,
    "referralCode of A": _referral_code,
    "earnRules of A": _read_earn_rules,
    "rewards of A": _withdrawn_rewards,
    "charities": _inactive_charities,
    "updateReward of A": _update_reward,
    "settlement lines": _settlement_lines,
    "statement": _statement,
    "payoutPeriod": _payout_period,
}

# (operation, whose data) -> outcome for each credential, in CREDENTIALS order.
TABLE = {
    ("transaction", "A"): ["seen", "seen", "seen", "null", "seen", "null"],
    ("transaction", "B"): ["seen", "null", "null", "seen", "null", "seen"],
    ("member", "A"): ["seen", "seen", "seen", "seen", "seen", "null"],
    ("member", "B"): ["seen", "seen", "seen", "seen", "null", "seen"],
    ("history of A", "A"): [1, 1, 1, 0, 1, "null"],
    ("me", "own"): ["null", "null", "null", "null", "A", "B"],
    ("earn for A", "A"): ["FORBIDDEN", "ok", "ok", "ok", "FORBIDDEN", "FORBIDDEN"],
    ("redeem from A", "A"): ["FORBIDDEN", "ok", "ok", "ok", "FORBIDDEN", "FORBIDDEN"],
    ("reverse", "A"): ["ok", "ok", "ok", "NOT_FOUND", "FORBIDDEN", "FORBIDDEN"],
    ("reverse", "B"): ["ok", "NOT_FOUND", "NOT_FOUND", "ok", "FORBIDDEN", "FORBIDDEN"],
    ("enrol", "new"): ["ok", "ok", "ok", "ok", "FORBIDDEN", "FORBIDDEN"],
    ("createPartner", "new"): ["ok", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN"],
    ("suspendPartner", "A"): ["ok", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN"],
    ("createApiKey", "A"): ["ok", "ok", "FORBIDDEN", "NOT_FOUND", "FORBIDDEN", "FORBIDDEN"],
    ("setEarnRules", "A"): ["ok", "ok", "FORBIDDEN", "NOT_FOUND", "FORBIDDEN", "FORBIDDEN"],
    ("setEarnRules", "B"): ["ok", "NOT_FOUND", "FORBIDDEN", "ok", "FORBIDDEN", "FORBIDDEN"],
    ("createCampaign for A", "A"): ["ok", "ok", "FORBIDDEN", "NOT_FOUND", "FORBIDDEN", "FORBIDDEN"],
    ("createReward for A", "A"): ["ok", "ok", "FORBIDDEN", "NOT_FOUND", "FORBIDDEN", "FORBIDDEN"],
    ("setCoalitionRules", "all"): ["ok", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN"],
    ("createCharity", "all"): ["ok", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN"],
    ("createInvite", "all"): ["ok", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN"],
    ("auditLog", "all"): ["seen", "null", "null", "null", "null", "null"],
    ("donatePoints", "own"): ["FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "NOT_FOUND", "NOT_FOUND"],
    ("outstandingPoints", "A"): ["seen", "seen", "seen", "null", "null", "null"],
    ("outstandingPoints", "B"): ["seen", "null", "null", "seen", "null", "null"],
    ("referralCode of A", "A"): ["seen", "null", "null", "null", "seen", "null"],
    # A partner key reads its own shop's rules whichever shop it names (A: rate 1, B: rate 2).
    ("earnRules of A", "A"): ["1", "1", "1", "2", "null", "null"],
    ("rewards of A", "A"): [2, 2, 2, 0, 1, 1],
    ("charities", "all"): [2, 1, 1, 1, 1, 1],
    ("updateReward of A", "A"): ["ok", "ok", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN"],
    ("settlement lines", "all"): ["A+B", "A", "A", "B", "null", "null"],
    ("statement", "A"): ["seen", "seen", "seen", "null", "null", "null"],
    ("statement", "B"): ["seen", "null", "null", "seen", "null", "null"],
    ("payoutPeriod", "all"): ["seen", "null", "null", "null", "null", "null"],
}

CASES = [
    pytest.param(operation, whose, who, expected, id=f"{who}-{operation}-{whose}")
    for (operation, whose), outcomes in TABLE.items()
    for who, expected in zip(CREDENTIALS, outcomes, strict=True)
]


@pytest.mark.parametrize(("operation", "whose", "who", "expected"), CASES)
async def test_authorisation(scene, gql, operation, whose, who, expected) -> None:
    assert await OPERATIONS[operation](gql, scene, who, whose) == expected


async def test_credentials_of_another_coalition_see_nothing(scene, gql, engine, ledger, till_setups) -> None:
    from tests.support.town import Town

    other = await Town(engine, ledger, till_setups).create()
    _, other_key = await other.partner("Elsewhere")
    assert await _read_transaction(gql, scene, "operator", "A") == "seen"
    answer = await gql(other.operator_token, "query($id: ID!) { transaction(id: $id) { id } }", id=scene.earn_a)
    assert answer["data"]["transaction"] is None
    answer = await gql(other_key, "query($c: String!) { member(cardNumber: $c) { id } }", c=scene.card_a)
    assert answer["data"]["member"] is None
    answer = await gql(other_key, EARN, input={"idempotencyKey": key(), "cardNumber": scene.card_a, "amount": "5"})
    assert answer["data"]["earnPoints"]["errors"][0]["code"] == "NOT_FOUND"
