"""Input no resolver should see is refused before any runs: control
characters in text, money that is not a plain decimal string, baskets that
add up to more than the purchase; each with VALIDATION and nothing changed."""

from __future__ import annotations

import pytest

from tests.support.graphql import EARN, ENROL, WALLET, key

NUL = "\x00"


async def _snapshot(gql, scene):
    answer = await gql(scene.operator, WALLET, card=scene.card_a)
    wallet = answer["data"]["member"]["wallet"]
    return wallet["balance"], len(wallet["transactions"]["edges"])


def _refusal(answer) -> tuple[str, list[str]]:
    assert answer["_status"] == 200
    assert answer.get("data") is None
    [error] = answer["errors"]
    assert "Unexpected error" not in error["message"]
    return error["extensions"]["code"], error["extensions"].get("field")


# (credential, query, variables, the field named)
VARIABLE_CASES = {
    "coupon(code:)": ("operator", "query($c: String!) { coupon(code: $c) { code } }", {"c": f"AB{NUL}"}, ["c"]),
    "useCoupon": (
        "pos_a",
        "mutation($i: UseCouponInput!) { useCoupon(input: $i) { errors { code } } }",
        {"i": {"code": f"X{NUL}Y"}},
        ["i", "code"],
    ),
    "member(cardNumber:)": (
        "operator",
        "query($card: String!) { member(cardNumber: $card) { id } }",
        {"card": f"123{NUL}"},
        ["card"],
    ),
    "earnPoints.receiptRef": (
        "pos_a",
        EARN,
        {"input": {"idempotencyKey": "k1", "cardNumber": "1", "amount": "10", "receiptRef": f"R{NUL}1"}},
        ["input", "receiptRef"],
    ),
    "earnPoints.lines.sku": (
        "pos_a",
        EARN,
        {
            "input": {
                "idempotencyKey": "k2",
                "cardNumber": "1",
                "amount": "10",
                "lines": [
                    {"sku": "ok", "quantity": 1, "unitPrice": "1"},
                    {"sku": "a\x07", "quantity": 1, "unitPrice": "1"},
                ],
            }
        },
        ["input", "lines", "1", "sku"],
    ),
    "enrollMember.email": (
        "pos_a",
        ENROL,
        {"input": {"idempotencyKey": "k3", "email": f"a{NUL}@example.org"}},
        ["input", "email"],
    ),
    "createPartner.name": (
        "operator",
        "mutation($i: CreatePartnerInput!) { createPartner(input: $i) { errors { code } } }",
        {"i": {"name": f"Shop{NUL}", "earnRatePerUnit": "1"}},
        ["i", "name"],
    ),
    "createCharity.description": (
        "operator",
        "mutation($i: CharityInput!) { createCharity(input: $i) { errors { code } } }",
        {"i": {"name": "Good", "description": f"line{NUL}"}},
        ["i", "description"],
    ),
    "auditLog(actionPrefix:)": (
        "operator",
        "query($p: String) { auditLog(actionPrefix: $p) { edges { cursor } } }",
        {"p": f"partner{NUL}"},
        ["p"],
    ),
    "escape in another C0 control": (
        "operator",
        "query($c: String!) { coupon(code: $c) { code } }",
        {"c": "AB\x1b[31m"},
        ["c"],
    ),
}


@pytest.mark.parametrize("case", VARIABLE_CASES, ids=list(VARIABLE_CASES))
async def test_control_characters_in_variables_are_a_validation_error_naming_the_field(scene, gql, case) -> None:
    credential, query, variables, field = VARIABLE_CASES[case]
    before = await _snapshot(gql, scene)
    answer = await gql(getattr(scene, credential), query, **variables)
    assert _refusal(answer) == ("VALIDATION", field)
    assert "control characters" in answer["errors"][0]["message"]
    assert await _snapshot(gql, scene) == before


LITERAL_CASES = {
    "coupon(code:)": ('{ coupon(code: "AB\\u0000") { code } }', ["code"]),
    "member(cardNumber:)": ('{ member(cardNumber: "1\\u0000") { id } }', ["cardNumber"]),
    "auditLog(actionPrefix:)": ('{ auditLog(actionPrefix: "p\\u0000") { edges { cursor } } }', ["actionPrefix"]),
    "createCharity.description": (
        'mutation { createCharity(input: {name: "Good", description: "d\\u0001"}) { errors { code } } }',
        ["input", "description"],
    ),
    "a variable's default": (
        'query($c: String = "x\\u0000") { coupon(code: $c) { code } }',
        ["c"],
    ),
}


@pytest.mark.parametrize("case", LITERAL_CASES, ids=list(LITERAL_CASES))
async def test_control_characters_in_literals_are_a_validation_error_naming_the_field(scene, gql, case) -> None:
    query, field = LITERAL_CASES[case]
    answer = await gql(scene.operator, query)
    assert _refusal(answer) == ("VALIDATION", field)


async def test_tabs_and_newlines_are_text(scene, gql) -> None:
    answer = await gql(
        scene.operator,
        "mutation($i: CharityInput!) { createCharity(input: $i) { errors { code } } }",
        i={"name": "Tabbed\tname", "description": "Two\nlines\r\n"},
    )
    assert answer["data"]["createCharity"]["errors"] == []


@pytest.mark.parametrize(
    "amount", [12.5, 100, "1E+2", "1e2", "NaN", "Infinity", "-Infinity", " 12", "12.", ".5", "0x10"]
)
async def test_money_is_only_a_plain_decimal_string(scene, gql, amount) -> None:
    before = await _snapshot(gql, scene)
    answer = await gql(scene.pos_a, EARN, input={"idempotencyKey": key(), "cardNumber": scene.card_a, "amount": amount})
    code, _ = _refusal(answer)
    assert code == "VALIDATION"
    assert "plain decimal string" in answer["errors"][0]["message"]
    assert await _snapshot(gql, scene) == before


@pytest.mark.parametrize("literal", ["12.5", "100", "1E+2", '"1E+2"', '"NaN"'])
async def test_money_literals_are_only_plain_decimal_strings(scene, gql, literal) -> None:
    query = (
        f'mutation {{ earnPoints(input: {{idempotencyKey: "{key()}", cardNumber: "{scene.card_a}", '
        f"amount: {literal}}}) {{ errors {{ code }} }} }}"
    )
    answer = await gql(scene.pos_a, query)
    code, _ = _refusal(answer)
    assert code == "VALIDATION"


async def test_a_plain_decimal_string_is_money(scene, gql) -> None:
    answer = await gql(
        scene.pos_a, EARN, input={"idempotencyKey": key(), "cardNumber": scene.card_a, "amount": "12.50"}
    )
    assert answer["data"]["earnPoints"]["errors"] == []
    assert answer["data"]["earnPoints"]["transaction"]["purchase"]["amount"] == "12.50"


async def test_basket_lines_adding_up_to_more_than_the_amount_are_refused(scene, gql) -> None:
    before = await _snapshot(gql, scene)
    lines = [{"sku": "a", "quantity": 3, "unitPrice": "10.00"}, {"sku": "b", "quantity": 1, "unitPrice": "20.01"}]
    answer = await gql(
        scene.pos_a,
        EARN,
        input={"idempotencyKey": key(), "cardNumber": scene.card_a, "amount": "50.00", "lines": lines},
    )
    errors = answer["data"]["earnPoints"]["errors"]
    assert [(e["code"], e["field"]) for e in errors] == [("VALIDATION", ["lines"])]
    assert await _snapshot(gql, scene) == before


async def test_basket_lines_may_describe_part_of_the_purchase(scene, gql) -> None:
    """The rest of the amount earns at the shop's base rate, as the engine says."""
    answer = await gql(
        scene.pos_a,
        EARN,
        input={
            "idempotencyKey": key(),
            "cardNumber": scene.card_a,
            "amount": "50.00",
            "lines": [{"sku": "a", "quantity": 1, "unitPrice": "1.00"}],
        },
    )
    assert answer["data"]["earnPoints"]["errors"] == []
    assert answer["data"]["earnPoints"]["transaction"]["points"] == 50
