"""The public terms page: the language shown and how it says so, plural
forms, and the tills' category names in the reader's language."""

from __future__ import annotations

from typing import Any

from tests.support.graphql import GraphQL
from tests.support.scene import Scene

SET_RULES = """mutation($input: EarnRulesInput!) { setEarnRules(input: $input) { errors { code message } } }"""
COALITION_RULES = """mutation($input: CoalitionRulesInput!) { setCoalitionRules(input: $input) {
  errors { code message } } }"""
TERMS_URL = "{ programTerms { url } }"


async def _terms_url(scene: Scene, gql: GraphQL) -> str:
    """The page's address, without the language the API put on it."""
    url: str = (await gql(scene.member_token_a, TERMS_URL))["data"]["programTerms"]["url"]
    return url.split("?")[0]


async def test_a_language_the_terms_are_not_written_in_is_answered_visibly_in_the_coalitions(
    scene: Scene, gql: GraphQL, client: Any
) -> None:
    url = await _terms_url(scene, gql)
    german = await client.get(url, params={"lang": "de"})
    assert german.status_code == 200
    assert german.headers["content-language"] == "en"  # the coalition's language
    assert '<html lang="en">' in german.text
    assert "These terms are not available in German; they are shown in English." in german.text
    assert '<a href="?lang=en" hreflang="en" lang="en" aria-current="page">English</a>' in german.text
    assert '<a href="?lang=nl" hreflang="nl" lang="nl">Nederlands</a>' in german.text

    await gql(scene.operator, COALITION_RULES, input={"language": "nl"})
    unknown = await client.get(url, params={"lang": "<b>x</b>"})
    assert unknown.headers["content-language"] == "nl"
    assert "niet beschikbaar in het &lt;b&gt;x&lt;/b&gt;; ze worden getoond in het Nederlands." in unknown.text
    for asked in ("en", "EN", "en-GB"):
        english = await client.get(url, params={"lang": asked})
        assert english.headers["content-language"] == "en"
        assert 'class="note"' not in english.text  # served as asked: nothing to explain
    plain = await client.get(url)
    assert (plain.headers["content-language"], 'class="note"' in plain.text) == ("nl", False)


async def test_counts_take_their_plural_form_in_each_language(scene: Scene, gql: GraphQL, client: Any) -> None:
    await gql(scene.operator, COALITION_RULES, input={"bonuses": {"signup": 1}, "limits": {"maxEarnRate": "2"}})
    url = await _terms_url(scene, gql)
    english = (await client.get(url, params={"lang": "en"})).text
    assert "A: 1 point per €1.00 spent" in english  # shop A's base rate is 1
    assert "B: 2 points per €1.00 spent" in english
    assert "Welcome bonus: 1 point when you join." in english
    assert "Every shop gives between 0 and 2 points per €1.00 spent." in english
    dutch = (await client.get(url, params={"lang": "nl"})).text
    assert "A: 1 punt per €\xa01,00 besteed" in dutch
    assert "Welkomstbonus: 1 punt bij aanmelding." in dutch
    await gql(scene.manager_a, SET_RULES, input={"baseRate": "1.5"})
    assert "A: 1,5 punten per €\xa01,00 besteed" in (await client.get(url, params={"lang": "nl"})).text


async def test_the_tills_category_names_are_shown_in_the_readers_language(
    scene: Scene, gql: GraphQL, client: Any
) -> None:
    rates = [{"category": "children", "rate": "2"}, {"category": "vinyl", "rate": "2"}]
    saved = await gql(scene.manager_a, SET_RULES, input={"baseRate": "1", "categoryRates": rates})
    assert saved["data"]["setEarnRules"]["errors"] == []
    url = await _terms_url(scene, gql)
    dutch = (await client.get(url, params={"lang": "nl"})).text
    assert "kinderartikelen: 2 per €\xa01,00" in dutch
    assert "children" not in dutch
    assert "vinyl: 2 per €\xa01,00" in dutch  # a category the catalogue does not name keeps the till's code
    assert "children: 2 per €1.00" in (await client.get(url, params={"lang": "en"})).text
