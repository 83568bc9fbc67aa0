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
