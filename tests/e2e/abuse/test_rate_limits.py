"""Rate limits per credential and per client address, counted in Redis."""

from __future__ import annotations

import secrets
import socket

from tests.support.graphql import EARN, WALLET, key

NAME = {"query": "{ coalition { name } }"}


def _address() -> str:
    """A client address no other test (or earlier run on the same Redis) used."""
    return f"2001:db8::{secrets.token_hex(2)}:{secrets.token_hex(2)}"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_credential_over_its_limit_gets_429_with_retry_after_and_nothing_runs(scene, app_client) -> None:
    # The scene has not used manager A's credential yet: its count starts here.
    async with app_client(rate_limit_per_credential=3, rate_limit_window_seconds=60) as http:
        for _ in range(3):
            assert (await http.post("/graphql", json=NAME, headers=_bearer(scene.manager_a))).status_code == 200
        refused = await http.post(
            "/graphql",
            json={
                "query": EARN,
                "variables": {"input": {"idempotencyKey": key(), "cardNumber": scene.card_a, "amount": "10"}},
            },
            headers=_bearer(scene.manager_a),
        )
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
        assert refused.headers["x-frame-options"] == "DENY"
        # Another credential from the same address is not held back.
        wallet = await http.post(
            "/graphql", json={"query": WALLET, "variables": {"card": scene.card_a}}, headers=_bearer(scene.operator)
        )
    assert wallet.status_code == 200
    # Only the earn of the scene itself: the refused one never ran.
    assert len(wallet.json()["data"]["member"]["wallet"]["transactions"]["edges"]) == 1


async def test_an_address_over_its_limit_gets_429_whatever_it_sends(scene, app_client) -> None:
    address = _address()
    async with app_client(address, rate_limit_per_address=2, rate_limit_exempt_addresses="") as http:
        assert (await http.post("/graphql", json=NAME)).status_code == 401
        assert (await http.post("/graphql", json=NAME, headers=_bearer(scene.operator))).status_code == 200
        refused = await http.post("/graphql", json=NAME, headers=_bearer(scene.manager_a))
        assert refused.status_code == 429
        assert "retry-after" in refused.headers
        # Health checks are never limited.
        assert (await http.get("/health/live")).status_code == 200
    async with app_client(_address(), rate_limit_per_address=2, rate_limit_exempt_addresses="") as other:
        assert (await other.post("/graphql", json=NAME, headers=_bearer(scene.operator))).status_code == 200


async def test_exempt_addresses_have_no_address_limit(scene, app_client) -> None:
    address = _address()
    async with app_client(address, rate_limit_per_address=1, rate_limit_exempt_addresses=address) as http:
        for _ in range(3):
            assert (await http.post("/graphql", json=NAME, headers=_bearer(scene.operator))).status_code == 200


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_without_redis_the_limits_fail_open_and_tills_keep_posting(scene, app_client) -> None:
    dead_redis = f"redis://127.0.0.1:{_closed_port()}/0"
    async with app_client(_address(), redis_url=dead_redis, rate_limit_per_credential=1, rate_limit_per_address=1,
                          rate_limit_exempt_addresses="") as http:  # fmt: skip
        for _ in range(3):
            answer = await http.post(
                "/graphql",
                json={
                    "query": EARN,
                    "variables": {"input": {"idempotencyKey": key(), "cardNumber": scene.card_a, "amount": "10"}},
                },
                headers=_bearer(scene.pos_a),
            )
            assert answer.status_code == 200
            assert answer.json()["data"]["earnPoints"]["errors"] == []
