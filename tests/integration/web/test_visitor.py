"""A visitor (someone reading the public pages without signing in) reads
through the API as a member with no membership: the programme, yes; anyone's
data, no; and nothing it runs may change anything."""

from __future__ import annotations

import pytest

from coalition.graphql.schema import create_schema
from coalition.web.documents import Document, PageData, visitor
from tests.support.town import Town

ANYONE = """query Anyone($card: String!, $transaction: ID!, $member: ID!) {
  me { id }
  member(cardNumber: $card) { id }
  byId: member(id: $member) { id }
  transaction(id: $transaction) { id }
  earnRules { baseRate }
  auditLog { edges { node { action } } }
  settlementRuns { edges { node { businessDate } } }
  coalition { name }
}"""


@pytest.fixture(scope="module")
def pages() -> PageData:
    return PageData(create_schema())


async def test_a_visitor_sees_the_programme_and_no_ones_data(town: Town, client, pages: PageData) -> None:
    shop, _ = await town.partner("Bakery")
    member, card = await town.member(shop)
    earned = await town.earn(shop, card, "20")
    services = client._transport.app.state.services
    data = await pages.run(
        services, visitor(town.coalition_id), Document.of("test/anyone", ANYONE),
        {"card": card, "transaction": str(earned.transaction_id), "member": str(member)},
    )  # fmt: skip
    assert data["coalition"] == {"name": "Test Town"}
    assert {k: v for k, v in data.items() if k != "coalition"} == {
        "me": None, "member": None, "byId": None, "transaction": None, "earnRules": None, "auditLog": None,
        "settlementRuns": None,
    }  # fmt: skip


async def test_a_visitor_may_not_run_a_document_that_changes_something(town: Town, client, pages: PageData) -> None:
    services = client._transport.app.state.services
    change = Document.of("test/change", 'mutation Change { applyReferralCode(code: "X") { errors { code } } }')
    with pytest.raises(PermissionError, match="a visitor may only read"):
        await pages.run(services, visitor(town.coalition_id), change)
