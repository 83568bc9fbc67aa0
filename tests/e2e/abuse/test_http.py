"""What the app answers requests GraphQL cannot use, and the headers every
answer carries."""

from __future__ import annotations

import pytest

from coalition.platform.runtime.http import CONTENT_SECURITY_POLICY


@pytest.mark.parametrize("url", ["/graphql", "/graphql?query=%7Bcoalition%7Bname%7D%7D"])
async def test_get_graphql_is_refused_with_405_naming_post(client, url) -> None:
    answer = await client.get(url)
    assert answer.status_code == 405
    assert answer.headers["allow"] == "POST"
    assert "POST" in answer.text


@pytest.mark.parametrize("body", ['"x"', "123", "null", "[]", '[{"query": "{ coalition { name } }"}]', "true"])
async def test_a_json_body_that_is_not_one_object_is_refused_with_400(scene, client, body) -> None:
    answer = await client.post(
        "/graphql",
        content=body,
        headers={"Authorization": f"Bearer {scene.operator}", "Content-Type": "application/json"},
    )
    assert answer.status_code == 400
    assert "must be one JSON object" in answer.text


async def test_a_5_mb_body_is_refused_with_413_and_a_body_under_the_limit_is_served(scene, client) -> None:
    headers = {"Authorization": f"Bearer {scene.operator}", "Content-Type": "application/json"}
    padding = " " * (5 * 1024 * 1024)
    refused = await client.post("/graphql", content='{"query": "{ coalition { name } }"}' + padding, headers=headers)
    assert refused.status_code == 413
    under = " " * (512 * 1024)
    served = await client.post("/graphql", content='{"query": "{ coalition { name } }"}' + under, headers=headers)
    assert served.status_code == 200
    assert served.json()["data"]["coalition"]["name"] == "Test Town"


async def test_the_body_limit_is_a_setting(scene, app_client) -> None:
    headers = {"Authorization": f"Bearer {scene.operator}", "Content-Type": "application/json"}
    body = '{"query": "{ coalition { name } }"}' + " " * 4096
    async with app_client(request_max_body_bytes=2048) as http:
        assert (await http.post("/graphql", content=body, headers=headers)).status_code == 413


async def test_metrics_are_not_served_without_a_configured_token(client) -> None:
    assert (await client.get("/metrics")).status_code == 404


async def test_metrics_need_their_bearer_token(scene, app_client) -> None:
    async with app_client(metrics_token="scrape-me") as http:
        await http.post(
            "/graphql", json={"query": "{ coalition { name } }"}, headers={"Authorization": f"Bearer {scene.operator}"}
        )
        assert (await http.get("/metrics")).status_code == 401
        assert (await http.get("/metrics", headers={"Authorization": "Bearer wrong"})).status_code == 401
        # An API credential is not the scraper's.
        assert (await http.get("/metrics", headers={"Authorization": f"Bearer {scene.operator}"})).status_code == 401
        answer = await http.get("/metrics", headers={"Authorization": "Bearer scrape-me"})
    assert answer.status_code == 200
    assert 'coalition_requests_total{app_name="coalition",method="POST",path="/graphql"' in answer.text


@pytest.mark.parametrize("path", ["/schema", "/schema/swagger", "/schema/openapi.json", "/schema/redoc"])
async def test_no_openapi_pages_are_served(client, path) -> None:
    assert (await client.get(path)).status_code == 404


def _assert_security_headers(headers) -> None:
    assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "default-src 'self'" in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "http:" not in headers["content-security-policy"]
    assert "https:" not in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/health/live"),
        ("GET", "/terms/no-such-coalition"),
        ("GET", "/downloads/nothing"),
        ("GET", "/graphql"),
        ("POST", "/graphql"),
        ("GET", "/no/such/page"),
    ],
)
async def test_every_answer_carries_the_security_headers(client, method, path) -> None:
    answer = await client.request(method, path)
    _assert_security_headers(answer.headers)
    assert "strict-transport-security" not in answer.headers


async def test_the_terms_page_carries_the_security_headers(town, client) -> None:
    from sqlalchemy import text

    async with town.engine.connect() as connection:
        slug = (
            await connection.execute(text("SELECT slug FROM coalitions WHERE id = :id"), {"id": town.coalition_id})
        ).scalar_one()
    answer = await client.get(f"/terms/{slug}")
    assert answer.status_code == 200
    _assert_security_headers(answer.headers)


async def test_hsts_is_sent_when_the_request_came_over_https(client) -> None:
    forwarded = await client.get("/health/live", headers={"X-Forwarded-Proto": "https"})
    assert forwarded.headers["strict-transport-security"].startswith("max-age=")
    direct = await client.get("https://coalition.test/health/live")
    assert direct.headers["strict-transport-security"].startswith("max-age=")
