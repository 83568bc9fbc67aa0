"""The staff and key fields the portal's pages run, through the API with
bearer keys: who may list, appoint, remove and revoke what."""

from __future__ import annotations

from coalition.platform.staff.rules import Grant, StaffRole
from tests.support.graphql import GraphQL
from tests.support.portal import new_email, set_up
from tests.support.town import Town

PEOPLE = "query($p: ID) { staffPeople(partnerId: $p) { email roles { role partnerId } } }"
INVITE = """mutation($input: InviteStaffInput!) {
  inviteStaff(input: $input) { person { email roles { role } } errors { code field } } }"""
REMOVE = "mutation($email: String!) { removeStaff(email: $email) { removed errors { code field } } }"
KEYS = "query { apiKeys { id role label } }"
REVOKE = "mutation($id: ID!) { revokeCredential(id: $id) { revoked errors { code } } }"
CREATE = 'mutation { createApiKey(role: POS, label: "till 2") { id apiKey errors { code } } }'


async def test_a_shops_manager_key_sees_its_own_staff_only_and_appoints_no_one(town: Town, gql: GraphQL) -> None:
    bakery, bakery_key = await town.partner("Bakery")
    florist, _ = await town.partner("Florist")
    baker = await set_up(town, Grant(StaffRole.CASHIER, bakery))
    florist_cashier = await set_up(town, Grant(StaffRole.CASHIER, florist))
    everyone = await gql(town.operator_token, PEOPLE)
    emails = {person["email"] for person in everyone["data"]["staffPeople"]}
    assert {baker.email, florist_cashier.email} <= emails
    own = await gql(bakery_key, PEOPLE)
    assert [person["email"] for person in own["data"]["staffPeople"]] == [baker.email]
    other = await gql(bakery_key, PEOPLE, p=str(florist))
    assert other["errors"]
    # A key is not a person: it appoints and removes no one.
    refused = await gql(bakery_key, INVITE, input={"email": new_email(), "name": "X", "role": "CASHIER"})
    assert refused["data"]["inviteStaff"]["errors"] == [{"code": "FORBIDDEN", "field": ["role"]}]
    removal = await gql(bakery_key, REMOVE, email=baker.email)
    assert removal["data"]["removeStaff"]["errors"][0]["code"] == "FORBIDDEN"


async def test_the_operator_appoints_an_owner_and_removes_them(town: Town, gql: GraphQL) -> None:
    bakery, _ = await town.partner("Bakery")
    email = new_email("owner")
    made = await gql(
        town.operator_token, INVITE, input={"email": email, "name": "O", "role": "OWNER", "partnerId": str(bakery)}
    )
    assert made["data"]["inviteStaff"] == {"person": {"email": email, "roles": [{"role": "OWNER"}]}, "errors": []}
    cashier = await gql(
        town.operator_token,
        INVITE,
        input={"email": new_email(), "name": "C", "role": "CASHIER", "partnerId": str(bakery)},
    )
    assert cashier["data"]["inviteStaff"]["errors"] == [{"code": "FORBIDDEN", "field": ["role"]}]
    removed = await gql(town.operator_token, REMOVE, email=email)
    assert removed["data"]["removeStaff"] == {"removed": True, "errors": []}


async def test_a_manager_key_revokes_its_own_shops_keys_only(town: Town, gql: GraphQL) -> None:
    _, bakery_key = await town.partner("Bakery")
    _, florist_key = await town.partner("Florist")
    new = (await gql(bakery_key, CREATE))["data"]["createApiKey"]
    # A till key lists no keys.
    assert (await gql(new["apiKey"], KEYS))["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    florist_keys = (await gql(florist_key, KEYS))["data"]["apiKeys"]
    refused = await gql(bakery_key, REVOKE, id=florist_keys[0]["id"])
    assert refused["data"]["revokeCredential"] == {"revoked": False, "errors": [{"code": "NOT_FOUND"}]}
    own = await gql(bakery_key, REVOKE, id=new["id"])
    assert own["data"]["revokeCredential"] == {"revoked": True, "errors": []}
    assert (await gql(new["apiKey"], KEYS))["_status"] == 401
