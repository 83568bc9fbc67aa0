"""Schemathesis against a served API: every query and mutation of the
schema, with generated arguments (valid and not), as each kind of caller and
as nobody. Whatever comes in, the answer is never a 5xx, never a traceback and
never a masked internal error: each bad input is a refusal the caller can read.

Bounded (a few cases per operation and caller) so it fits the slow lane; the
long run is ``schemathesis run`` against ``coalition demo`` (README)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis.graphql
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.schemas import APIOperation

from coalition.platform.runtime.settings import Settings
from tests.support.scene import Scene
from tests.support.served import served_api

pytestmark = pytest.mark.slow

SCHEMA = Path(__file__).parents[3] / "schema.graphql"
CASES_PER_OPERATION = 4
# What strawberry's MaskErrors puts in place of an unexpected exception's message.
MASKED = "Unexpected error."


@pytest.fixture(scope="module")
def api(settings: Settings) -> Iterator[str]:
    # Rate limits off: the fuzzer is one caller sending thousands of requests,
    # and a 429 would hide the resolver behind it.
    with served_api(settings, COALITION_RATE_LIMIT_PER_CREDENTIAL="0", COALITION_RATE_LIMIT_PER_ADDRESS="0") as base:
        yield base


def _our_scalars() -> None:
    """Money as the API takes it (a plain decimal string) and strings that are
    not quite that; JSON as any string."""
    nodes = schemathesis.graphql.nodes
    money = st.decimals(allow_nan=False, allow_infinity=False, places=2).map(str)
    schemathesis.graphql.scalar("Decimal", st.one_of(money, st.text(max_size=12)).map(nodes.String))
    schemathesis.graphql.scalar("JSON", st.text(max_size=40).map(nodes.String))


def _operations() -> list[APIOperation[Any]]:
    _our_scalars()
    schema = schemathesis.graphql.from_path(str(SCHEMA))
    return [result.ok() for result in schema.get_all_operations()]


def _fuzz(
    operation: APIOperation[Any], endpoint: str, headers: dict[str, str], seen: list[str], answered: list[int]
) -> None:
    session = requests.Session()

    @settings(
        max_examples=CASES_PER_OPERATION, deadline=None, database=None, derandomize=True,
        suppress_health_check=list(HealthCheck),
    )  # fmt: skip
    @given(case=operation.as_strategy())
    def one(case: Any) -> None:
        response = case.call(base_url=endpoint, session=session, headers=headers, timeout=30)
        body = response.text
        answered.append(response.status_code)
        problem = None
        if response.status_code >= 500:
            problem = f"HTTP {response.status_code}"
        elif "Traceback" in body:
            problem = "a traceback in the answer"
        elif MASKED in body:
            problem = "a masked internal error"
        if problem:
            seen.append(f"{operation.label}: {problem}\n  query: {case.body}\n  answer: {body[:400]}")

    one()


@pytest.mark.parametrize("caller", ["nobody", "operator", "shop manager", "till", "member"])
async def test_no_generated_request_breaks_the_api(api: str, scene: Scene, caller: str) -> None:
    tokens = {
        "nobody": None,
        "operator": scene.operator,
        "shop manager": scene.manager_a,
        "till": scene.pos_a,
        "member": scene.member_token_a,
    }
    token = tokens[caller]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    seen: list[str] = []
    answered: list[int] = []
    operations = _operations()
    for operation in operations:
        await asyncio.to_thread(_fuzz, operation, f"{api}/graphql", headers, seen, answered)
    assert not seen, "\n".join(seen[:20])
    # Every operation was tried and reached the API: nobody is refused at the
    # door (401), every credential gets GraphQL answers.
    assert len(answered) >= len(operations)
    if token is None:
        assert set(answered) == {401}
    else:
        assert answered.count(200) > len(answered) / 2
