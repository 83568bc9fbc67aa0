"""A partner's reference (its name in receipt import files): set when it is
created or later by the operator, unique in the coalition whatever the case."""

from __future__ import annotations

from tests.support.graphql import GraphQL
from tests.support.scene import Scene

CREATE = """mutation($input: CreatePartnerInput!) { createPartner(input: $input) {
  partner { id name reference } errors { code field } } }"""
SET = """mutation($id: ID!, $reference: String) { setPartnerReference(id: $id, reference: $reference) {
  partner { id reference } errors { code field } } }"""
READ = """query($id: ID!) { partner(id: $id) { reference } }"""


async def test_a_reference_given_at_creation_is_shown_on_the_partner(gql: GraphQL, scene: Scene) -> None:
    answer = await gql(scene.operator, CREATE, input={"name": "Bakker", "earnRatePerUnit": "1", "reference": " BAK-1 "})

    created = answer["data"]["createPartner"]
    assert created["errors"] == []
    assert created["partner"]["reference"] == "BAK-1"


async def test_the_operator_sets_and_clears_a_reference(gql: GraphQL, scene: Scene) -> None:
    set_answer = await gql(scene.operator, SET, id=str(scene.shop_a), reference="shop-a")
    cleared = await gql(scene.operator, SET, id=str(scene.shop_b), reference=None)

    assert set_answer["data"]["setPartnerReference"] == {
        "partner": {"id": str(scene.shop_a), "reference": "shop-a"},
        "errors": [],
    }
    assert cleared["data"]["setPartnerReference"]["partner"]["reference"] is None


async def test_a_reference_is_unique_in_the_coalition_whatever_its_case(gql: GraphQL, scene: Scene) -> None:
    await gql(scene.operator, SET, id=str(scene.shop_a), reference="Shop-A")

    taken = await gql(scene.operator, SET, id=str(scene.shop_b), reference="SHOP-a")
    taken_at_creation = await gql(
        scene.operator, CREATE, input={"name": "Other", "earnRatePerUnit": "1", "reference": "shop-A"}
    )
    again_on_itself = await gql(scene.operator, SET, id=str(scene.shop_a), reference="shop-a")

    assert taken["data"]["setPartnerReference"] == {
        "partner": None,
        "errors": [{"code": "CONFLICT", "field": ["reference"]}],
    }
    assert taken_at_creation["data"]["createPartner"]["errors"] == [{"code": "CONFLICT", "field": ["reference"]}]
    assert again_on_itself["data"]["setPartnerReference"]["partner"]["reference"] == "shop-a"


async def test_a_bad_reference_or_caller_is_refused_and_changes_nothing(gql: GraphQL, scene: Scene) -> None:
    await gql(scene.operator, SET, id=str(scene.shop_a), reference="kept")

    too_long = await gql(scene.operator, SET, id=str(scene.shop_a), reference="x" * 65)
    blank = await gql(scene.operator, SET, id=str(scene.shop_a), reference="  ")
    by_manager = await gql(scene.manager_a, SET, id=str(scene.shop_a), reference="mine")
    by_pos = await gql(scene.pos_a, SET, id=str(scene.shop_a), reference="mine")

    assert too_long["data"]["setPartnerReference"]["errors"] == [{"code": "VALIDATION", "field": ["reference"]}]
    assert blank["data"]["setPartnerReference"]["errors"] == [{"code": "VALIDATION", "field": ["reference"]}]
    assert by_manager["data"]["setPartnerReference"]["errors"][0]["code"] == "FORBIDDEN"
    assert by_pos["data"]["setPartnerReference"]["errors"][0]["code"] == "FORBIDDEN"
    shown = await gql(scene.operator, READ, id=str(scene.shop_a))
    assert shown["data"]["partner"] == {"reference": "kept"}
