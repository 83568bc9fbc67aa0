"""The public contract, end to end over HTTP."""

import re
from pathlib import Path

from graphql import build_schema

from coalition.graphql.schema import create_schema
from tests.support.graphql import EARN, ENROL, REDEEM, REVERSE, WALLET, key

REPO = Path(__file__).resolve().parents[2]
CONTRACT = REPO / "api" / "core.graphql"
# The design's own copy, beside the repository in a full checkout.
SHARED_CONTRACT = REPO.parent / "shared" / "api" / "core.graphql"


async def test_operator_onboards_a_shop_that_then_serves_a_member(town, gql) -> None:
    op = town.operator_token
    created = await gql(
        op,
        """mutation { createPartner(input: {name: "Bakery", earnRatePerUnit: "2", iban: "NL91 ABNA 0417 1643 00"}) {
             partner { id name status } apiKey errors { code } } }""",
    )
    payload = created["data"]["createPartner"]
    assert payload["errors"] == []
    assert payload["partner"]["status"] == "INVITED"
    partner_id, api_key = payload["partner"]["id"], payload["apiKey"]
    assert api_key.startswith("coal_pk_")

    enrolled = await gql(api_key, ENROL, input={"idempotencyKey": key(), "email": "ana@example.org"})
    card = enrolled["data"]["enrollMember"]["member"]["cardNumber"]

    refused = await gql(api_key, EARN, input={"idempotencyKey": key(), "cardNumber": card, "amount": "10"})
    assert refused["data"]["earnPoints"]["errors"][0]["code"] == "PARTNER_NOT_ACTIVE"

    activated = await gql(
        op, "mutation($id: ID!) { activatePartner(id: $id) { partner { status } errors { code } } }", id=partner_id
    )
    assert activated["data"]["activatePartner"]["partner"]["status"] == "ACTIVE"

    earned = await gql(api_key, EARN, input={"idempotencyKey": "receipt-1", "cardNumber": card, "amount": "12.50"})
    result = earned["data"]["earnPoints"]
    assert result["errors"] == []
    assert result["transaction"]["points"] == 25
    assert result["transaction"]["purchase"] == {"amount": "12.50", "currency": "EUR"}
    assert result["transaction"]["partner"] == {"id": partner_id, "name": "Bakery"}
    assert result["transaction"]["explanation"] == ["Base rate 2 per 1 EUR on 12.50 EUR: 25 points"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", result["transaction"]["businessDate"])
    assert result["wallet"] == {"balance": 25, "available": 25, "pending": 0}

    replay = await gql(api_key, EARN, input={"idempotencyKey": "receipt-1", "cardNumber": card, "amount": "12.50"})
    assert replay["data"]["earnPoints"]["transaction"]["id"] == result["transaction"]["id"]
    conflict = await gql(api_key, EARN, input={"idempotencyKey": "receipt-1", "cardNumber": card, "amount": "13.50"})
    assert conflict["data"]["earnPoints"]["errors"][0]["code"] == "IDEMPOTENCY_CONFLICT"

    spent = await gql(api_key, REDEEM, input={"idempotencyKey": key(), "cardNumber": card, "points": 20})
    assert spent["data"]["redeemPoints"]["wallet"]["balance"] == 5
    undone = await gql(
        api_key, REVERSE,
        input={"idempotencyKey": key(), "transactionId": spent["data"]["redeemPoints"]["transaction"]["id"], "reason": "cancelled"},
    )  # fmt: skip
    reversal = undone["data"]["reverseTransaction"]
    assert reversal["transaction"]["points"] == 20
    assert reversal["transaction"]["reverses"]["kind"] == "REDEEM"
    assert reversal["wallet"]["balance"] == 25

    suspended = await gql(
        op,
        'mutation($id: ID!) { suspendPartner(id: $id, reason: "unpaid fees") { partner { status } } }',
        id=partner_id,
    )
    assert suspended["data"]["suspendPartner"]["partner"]["status"] == "SUSPENDED"


async def test_wallet_history_is_cursor_paginated(scene, gql) -> None:
    for n in range(5):
        await gql(scene.pos_a, EARN, input={"idempotencyKey": key(), "cardNumber": scene.card_a, "amount": str(n + 1)})
    query = """query($after: String) { me { wallet { transactions(first: 2, after: $after) {
        edges { node { id points } cursor } pageInfo { hasNextPage endCursor } } } } }"""
    seen, after = [], None
    while True:
        page = (await gql(scene.member_token_a, query, after=after))["data"]["me"]["wallet"]["transactions"]
        seen += [edge["node"]["points"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [5, 4, 3, 2, 1, 100]


async def test_partners_are_cursor_paginated(scene, gql) -> None:
    first = await gql(
        scene.operator,
        "{ coalition { partners(first: 1) { edges { node { name } } pageInfo { hasNextPage endCursor } } } }",
    )
    page = first["data"]["coalition"]["partners"]
    assert [e["node"]["name"] for e in page["edges"]] == ["A"]
    second = await gql(
        scene.operator,
        "query($after: String) { coalition { partners(first: 5, after: $after) { edges { node { name } } pageInfo { hasNextPage } } } }",
        after=page["pageInfo"]["endCursor"],
    )
    assert [e["node"]["name"] for e in second["data"]["coalition"]["partners"]["edges"]] == ["B"]


async def test_over_deep_and_alias_heavy_queries_are_refused(scene, gql) -> None:
    deep = "{ me { wallet { transactions { edges { node { reverses { reverses { reverses { reverses { reverses { reverses { reverses { reverses { id } } } } } } } } } } } } } }"
    refused = await gql(scene.member_token_a, deep)
    assert "exceeds maximum operation depth" in refused["errors"][0]["message"]
    aliases = "{ " + " ".join(f"a{n}: me {{ id }}" for n in range(40)) + " }"
    refused = await gql(scene.member_token_a, aliases)
    assert "aliases" in refused["errors"][0]["message"]


async def test_unexpected_errors_are_masked(scene, gql, monkeypatch) -> None:
    from coalition.platform.ledger import repository

    async def broken(*args, **kwargs):
        raise RuntimeError("connection string postgres://secret@db")

    monkeypatch.setattr(repository.PostingGateway, "redeem", broken)
    answer = await gql(scene.pos_a, REDEEM, input={"idempotencyKey": key(), "cardNumber": scene.card_a, "points": 1})
    assert answer["errors"][0]["message"] == "Unexpected error."
    assert "secret" not in str(answer)


async def test_missing_or_revoked_credentials_are_refused(scene, gql) -> None:
    assert (await gql(None, "{ coalition { name } }"))["_status"] == 401
    assert (await gql("coal_pk_nonsense", "{ coalition { name } }"))["_status"] == 401
    keys = await gql(
        scene.manager_a, 'mutation { createApiKey(role: POS, label: "till 2") { id apiKey errors { code } } }'
    )
    new = keys["data"]["createApiKey"]
    assert (await gql(new["apiKey"], "{ coalition { name } }"))["_status"] == 200
    revoked = await gql(
        scene.operator, "mutation($id: ID!) { revokeCredential(id: $id) { revoked errors { code } } }", id=new["id"]
    )
    assert revoked["data"]["revokeCredential"]["revoked"] is True
    async with scene.town.engine.connect() as c:
        from sqlalchemy import text

        audited = await c.scalar(
            text("SELECT actor FROM audit_log WHERE action = 'credential.revoke' AND subject_id = :id"),
            {"id": new["id"]},
        )
    assert audited.startswith(f"OPERATOR:{scene.town.coalition_id}:credential:")
    answer = await gql(new["apiKey"], EARN, input={"idempotencyKey": key(), "cardNumber": scene.card_a, "amount": "10"})
    assert answer["_status"] == 401
    wallet = await gql(scene.operator, WALLET, card=scene.card_a)
    assert wallet["data"]["member"]["wallet"]["balance"] == 100


def test_schema_keeps_every_name_and_shape_of_the_core_contract() -> None:
    contract = build_schema(CONTRACT.read_text())
    ours = create_schema()._schema
    for name, contract_type in contract.type_map.items():
        if name.startswith("__"):
            continue
        assert name in ours.type_map, f"missing type {name}"
        our_type = ours.type_map[name]
        for field_name, field in getattr(contract_type, "fields", {}).items():
            assert field_name in our_type.fields, f"{name}.{field_name} missing"
            assert str(our_type.fields[field_name].type) == str(field.type), f"{name}.{field_name} changed type"
            for arg_name, arg in getattr(field, "args", {}).items():
                assert arg_name in our_type.fields[field_name].args, f"{name}.{field_name}({arg_name}) missing"
                assert str(our_type.fields[field_name].args[arg_name].type) == str(arg.type)
        for value in getattr(contract_type, "values", {}):
            assert value in our_type.values, f"{name}.{value} missing"


def test_contract_copy_matches_the_design() -> None:
    if not SHARED_CONTRACT.exists():
        return  # a clone on its own: nothing to compare with
    assert CONTRACT.read_text() == SHARED_CONTRACT.read_text()


def test_exported_schema_file_is_current() -> None:
    exported = REPO / "schema.graphql"
    assert exported.read_text() == create_schema().as_str() + "\n", "run: uv run coalition export-schema"


async def test_readiness_checks_the_real_database_and_redis(client) -> None:
    answer = await client.get("/health/ready")
    assert (answer.status_code, answer.json()) == (200, {"database": "ok", "redis": "ok"})


async def test_metrics_count_graphql_requests(scene, gql, client) -> None:
    await gql(scene.operator, "{ coalition { name } }")
    answer = await client.get("/metrics")
    assert answer.status_code == 200
    assert 'coalition_requests_total{app_name="coalition",method="POST",path="/graphql"' in answer.text


async def test_expired_credentials_are_refused(scene, gql) -> None:
    from sqlalchemy import text

    from coalition.platform.auth.tokens import token_hash

    assert (await gql(scene.member_token_a, "{ me { id } }"))["_status"] == 200
    async with scene.town.engine.begin() as c:
        await c.execute(
            text("UPDATE credentials SET expires_at = now() WHERE token_hash = :h"),
            {"h": token_hash(scene.member_token_a)},
        )
    assert (await gql(scene.member_token_a, "{ me { id } }"))["_status"] == 401


async def test_a_terminated_partners_keys_stop_working(scene, gql) -> None:
    from sqlalchemy import text

    async with scene.town.engine.begin() as c:
        await c.execute(text("UPDATE partners SET status = 'TERMINATED' WHERE id = :p"), {"p": scene.shop_b})
    assert (await gql(scene.manager_b, "{ coalition { name } }"))["_status"] == 401
    assert (await gql(scene.manager_a, "{ coalition { name } }"))["_status"] == 200


async def test_operator_changes_are_audited_with_who_before_and_after(town, gql) -> None:
    from sqlalchemy import select

    from coalition.platform.audit.tables import audit_log

    created = await gql(
        town.operator_token,
        'mutation { createPartner(input: {name: "Florist", earnRatePerUnit: "1.5"}) { partner { id } } }',
    )
    partner_id = created["data"]["createPartner"]["partner"]["id"]
    await gql(
        town.operator_token,
        'mutation($id: ID!) { suspendPartner(id: $id, reason: "paperwork") { partner { status } } }',
        id=partner_id,
    )
    async with town.engine.connect() as c:
        rows = (
            await c.execute(
                select(audit_log.c.action, audit_log.c.actor, audit_log.c.before, audit_log.c.after)
                .where(audit_log.c.coalition_id == town.coalition_id, audit_log.c.subject_id == partner_id)
                .order_by(audit_log.c.at, audit_log.c.id)
            )
        ).all()
    assert [r.action for r in rows] == ["partner.create", "partner.suspended"]
    assert all(r.actor.startswith(f"OPERATOR:{town.coalition_id}:credential:") for r in rows)
    assert rows[0].after["earnRatePerUnit"] == "1.5"
    assert rows[1].before == {"name": "Florist", "status": "INVITED"}
    assert rows[1].after == {"name": "Florist", "status": "SUSPENDED", "reason": "paperwork"}


async def test_relations_are_batched_not_queried_per_row(settings, scene, gql) -> None:
    """Twenty transactions at two shops: their partners come from one query."""
    from litestar.testing import AsyncTestClient
    from sqlalchemy import event

    from coalition.app import create_app

    for n in range(10):
        await gql(scene.pos_a, EARN, input={"idempotencyKey": key(), "cardNumber": scene.card_a, "amount": str(n + 1)})
        await gql(
            scene.manager_b, EARN, input={"idempotencyKey": key(), "cardNumber": scene.card_a, "amount": str(n + 1)}
        )
    app = create_app(settings)
    async with AsyncTestClient(app) as http:
        statements: list[str] = []
        event.listen(app.state.services.engine.sync_engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        answer = await http.post(
            "/graphql",
            json={
                "query": "{ me { wallet { transactions(first: 25) { edges { node { points partner { name } } } } } } }"
            },
            headers={"Authorization": f"Bearer {scene.member_token_a}"},
        )
        edges = answer.json()["data"]["me"]["wallet"]["transactions"]["edges"]
    assert len(edges) == 21
    assert {e["node"]["partner"]["name"] for e in edges} == {"A", "B"}
    partner_queries = [s for s in statements if "FROM partners" in s and "credentials" not in s]
    assert len(partner_queries) == 1


async def test_a_warm_earn_through_graphql_is_one_database_round_trip(settings, scene) -> None:
    """With the till's credential and programme remembered, an earn is the posting
    statement and nothing else: one database round trip on the hot path. Counted, not timed."""
    from litestar.testing import AsyncTestClient
    from sqlalchemy import event

    from coalition.app import create_app

    app = create_app(settings.model_copy(update={"auth_cache_seconds": 60}))
    async with AsyncTestClient(app) as http:

        async def earn() -> dict:
            answer = await http.post(
                "/graphql",
                json={
                    "query": "mutation($input: EarnPointsInput!) { earnPoints(input: $input) { transaction { id kind points businessDate createdAt explanation purchase { amount currency } } wallet { balance available pending } errors { code } } }",
                    "variables": {"input": {"idempotencyKey": key(), "cardNumber": scene.card_a, "amount": "9.99"}},
                },
                headers={"Authorization": f"Bearer {scene.pos_a}"},
            )
            return answer.json()["data"]["earnPoints"]

        await earn()  # remembers the key, the programme and the coalition
        statements: list[str] = []
        event.listen(app.state.services.engine.sync_engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        result = await earn()
    assert result["errors"] == []
    assert result["transaction"]["points"] == 9
    assert len(statements) == 1
    assert statements[0].startswith("SELECT * FROM ledger_earn(")
