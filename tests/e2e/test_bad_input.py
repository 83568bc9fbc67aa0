"""Bad input gets a stable error code and changes nothing."""

import pytest

from tests.support.graphql import EARN, ENROL, REDEEM, REVERSE, WALLET, key


async def _snapshot(gql, scene):
    answer = await gql(scene.operator, WALLET, card=scene.card_a)
    wallet = answer["data"]["member"]["wallet"]
    return wallet["balance"], len(wallet["transactions"]["edges"])


EARN_CASES = {
    "negative amount": ({"amount": "-5"}, "VALIDATION", ["amount"]),
    "zero amount": ({"amount": "0"}, "VALIDATION", ["amount"]),
    "absurd amount": ({"amount": "99999999999"}, "VALIDATION", ["amount"]),
    "too many decimals": ({"amount": "10.001"}, "VALIDATION", ["amount"]),
    "unknown card": ({"cardNumber": "9999999999999"}, "NOT_FOUND", None),
    "malformed card": ({"cardNumber": "12 34"}, "VALIDATION", ["cardNumber"]),
    "empty key": ({"idempotencyKey": ""}, "VALIDATION", ["idempotencyKey"]),
    "overlong key": ({"idempotencyKey": "k" * 129}, "VALIDATION", ["idempotencyKey"]),
    "oversized basket": (
        {"lines": [{"sku": "x", "quantity": 1, "unitPrice": "1"}] * 501},
        "VALIDATION",
        ["lines"],
    ),
    "bad basket line": (
        {"lines": [{"sku": "x", "quantity": 0, "unitPrice": "1"}]},
        "VALIDATION",
        ["lines", "0", "quantity"],
    ),
    "naive occurredAt": ({"occurredAt": "2026-11-22T10:00:00"}, "VALIDATION", ["occurredAt"]),
    "future occurredAt": ({"occurredAt": "2999-01-01T10:00:00+01:00"}, "VALIDATION", ["occurredAt"]),
    "overlong category": (
        {"lines": [{"sku": "x", "category": "c" * 65, "quantity": 1, "unitPrice": "1"}]},
        "VALIDATION",
        ["lines", "0", "category"],
    ),
    "overlong receipt": ({"receiptRef": "r" * 201}, "VALIDATION", ["receiptRef"]),
}


@pytest.mark.parametrize("case", EARN_CASES, ids=list(EARN_CASES))
async def test_bad_earn_input(scene, gql, case) -> None:
    override, code, field = EARN_CASES[case]
    before = await _snapshot(gql, scene)
    answer = await gql(
        scene.pos_a, EARN, input={"idempotencyKey": key(), "cardNumber": scene.card_a, "amount": "10", **override}
    )
    errors = answer["data"]["earnPoints"]["errors"]
    assert [(e["code"], e["field"]) for e in errors] == [(code, field)]
    assert answer["data"]["earnPoints"]["transaction"] is None
    assert await _snapshot(gql, scene) == before


async def test_malformed_decimal_is_refused_by_the_schema(scene, gql) -> None:
    before = await _snapshot(gql, scene)
    answer = await gql(scene.pos_a, EARN, input={"idempotencyKey": key(), "cardNumber": scene.card_a, "amount": "ten"})
    assert answer["data"] is None
    assert "Decimal" in answer["errors"][0]["message"] or "ten" in answer["errors"][0]["message"]
    assert await _snapshot(gql, scene) == before


REDEEM_CASES = {
    "negative points": ({"points": -10}, "VALIDATION"),
    "zero points": ({"points": 0}, "VALIDATION"),
    "absurd points": ({"points": 2_000_000_000}, "VALIDATION"),
    "more than available": ({"points": 101}, "INSUFFICIENT_POINTS"),
    "unknown card": ({"cardNumber": "9999999999999"}, "NOT_FOUND"),
}


@pytest.mark.parametrize("case", REDEEM_CASES, ids=list(REDEEM_CASES))
async def test_bad_redeem_input(scene, gql, case) -> None:
    override, code = REDEEM_CASES[case]
    before = await _snapshot(gql, scene)
    answer = await gql(
        scene.pos_a, REDEEM, input={"idempotencyKey": key(), "cardNumber": scene.card_a, "points": 5, **override}
    )
    assert [e["code"] for e in answer["data"]["redeemPoints"]["errors"]] == [code]
    assert await _snapshot(gql, scene) == before


async def test_points_beyond_32_bits_are_refused_by_the_schema(scene, gql) -> None:
    answer = await gql(
        scene.pos_a, REDEEM, input={"idempotencyKey": key(), "cardNumber": scene.card_a, "points": 2**40}
    )
    assert answer["data"] is None
    assert answer["errors"]


@pytest.mark.parametrize(
    ("override", "code"),
    [
        ({"transactionId": "not-an-id"}, "VALIDATION"),
        ({"transactionId": "00000000-0000-0000-0000-000000000000"}, "NOT_FOUND"),
        ({"points": 0}, "VALIDATION"),
        ({"points": 101}, "ALREADY_REVERSED"),
        ({"reason": "x" * 201}, "VALIDATION"),
    ],
)
async def test_bad_reversal_input(scene, gql, override, code) -> None:
    before = await _snapshot(gql, scene)
    answer = await gql(scene.pos_a, REVERSE, input={"idempotencyKey": key(), "transactionId": scene.earn_a, **override})
    assert [e["code"] for e in answer["data"]["reverseTransaction"]["errors"]] == [code]
    assert await _snapshot(gql, scene) == before


@pytest.mark.parametrize(
    ("override", "code"),
    [
        ({"email": "not-an-email"}, "VALIDATION"),
        ({"phone": "12345"}, "VALIDATION"),
        ({"birthDate": "2999-01-01"}, "VALIDATION"),
        ({"cardNumber": "!!"}, "VALIDATION"),
    ],
)
async def test_bad_enrolment_input(scene, gql, override, code) -> None:
    answer = await gql(scene.pos_a, ENROL, input={"idempotencyKey": key(), **override})
    assert [e["code"] for e in answer["data"]["enrollMember"]["errors"]] == [code]
    assert answer["data"]["enrollMember"]["member"] is None


async def test_enrolling_a_taken_card_is_a_conflict(scene, gql) -> None:
    answer = await gql(scene.pos_a, ENROL, input={"idempotencyKey": key(), "cardNumber": scene.card_b})
    assert [e["code"] for e in answer["data"]["enrollMember"]["errors"]] == ["CONFLICT"]


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ('name: "", earnRatePerUnit: "1"', "VALIDATION"),
        ('name: "X", earnRatePerUnit: "-1"', "VALIDATION"),
        ('name: "X", earnRatePerUnit: "5000"', "VALIDATION"),
        ('name: "X", earnRatePerUnit: "1", iban: "NL00 BANK 0000 0000 00"', "VALIDATION"),
    ],
)
async def test_bad_partner_input(scene, gql, fields, code) -> None:
    answer = await gql(
        scene.operator, f"mutation {{ createPartner(input: {{{fields}}}) {{ partner {{ id }} errors {{ code }} }} }}"
    )
    assert [e["code"] for e in answer["data"]["createPartner"]["errors"]] == [code]
    partners = await gql(scene.operator, "{ coalition { partners { edges { node { name } } } } }")
    assert len(partners["data"]["coalition"]["partners"]["edges"]) == 2


async def test_malformed_ids_in_queries_read_as_missing(scene, gql) -> None:
    answer = await gql(
        scene.operator, '{ transaction(id: "junk") { id } partner(id: "junk") { id } member(id: "junk") { id } }'
    )
    assert answer["data"] == {"transaction": None, "partner": None, "member": None}


async def test_page_size_out_of_range_is_refused(scene, gql) -> None:
    answer = await gql(scene.operator, "{ coalition { partners(first: 1000) { edges { cursor } } } }")
    assert answer["errors"][0]["extensions"]["code"] == "VALIDATION"


@pytest.mark.parametrize("arguments", ["", '(id: "x", cardNumber: "y")'])
async def test_member_lookup_needs_exactly_one_key(scene, gql, arguments) -> None:
    answer = await gql(scene.operator, f"{{ member{arguments} {{ id }} }}")
    assert answer["errors"][0]["extensions"]["code"] == "VALIDATION"


async def test_a_basket_and_past_occurred_at_are_accepted(scene, gql) -> None:
    answer = await gql(
        scene.pos_a,
        EARN,
        input={
            "idempotencyKey": key(),
            "cardNumber": scene.card_a,
            "amount": "7.50",
            "occurredAt": "2026-11-20T09:30:00+01:00",
            "lines": [{"sku": "croissant", "category": "bakery", "quantity": 3, "unitPrice": "2.50"}],
        },
    )
    assert answer["data"]["earnPoints"]["errors"] == []
    assert answer["data"]["earnPoints"]["transaction"]["points"] == 7
