"""A database that cannot be reached mid-request: a clear 503 with a stable
code and Retry-After, never a bare 500 (issue 17: `bench chaos` saw one
while PostgreSQL restarted)."""

from __future__ import annotations

UNREACHABLE = "postgresql://postgres@127.0.0.1:1/postgres"


async def test_a_graphql_request_answers_503_unavailable_when_the_database_cannot_be_reached(app_client) -> None:
    async with app_client(database_url=UNREACHABLE, database_answer_within_seconds=2) as http:
        answer = await http.post(
            "/graphql", json={"query": "{ me { __typename } }"}, headers={"Authorization": "Bearer some-till-key"}
        )
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "5"
    assert answer.json()["errors"][0]["extensions"]["code"] == "UNAVAILABLE"
    assert "Traceback" not in answer.text


async def test_a_page_answers_503_unavailable_in_plain_words(app_client) -> None:
    async with app_client(database_url=UNREACHABLE, database_answer_within_seconds=2) as http:
        answer = await http.get("/wallet/join?coalition=demo")
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "5"
    assert answer.text.startswith("UNAVAILABLE: ")
    assert "content-security-policy" in answer.headers
