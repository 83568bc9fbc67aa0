"""The terms page on the page machinery, in process: each language, the
language chosen from the address, the remembered choice, the browser's
preference and the coalition's default, in that order; the chooser's form
and its protection against cross-site posts."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from sqlalchemy import text

from tests.support.town import Town

LANGUAGE_NAMES = {"en": "English", "nl": "Nederlands", "fr": "français", "pl": "polski", "nb": "norsk bokmål"}
TITLES = {
    "en": "Test Town: programme terms",
    "nl": "Test Town: spaarvoorwaarden",
    "fr": "Test Town : conditions du programme",
    "pl": "Test Town: regulamin programu",
    "nb": "Test Town: programvilkår",
}
RATES = {
    "en": "Bakery: 1.5 points per €1.00 spent",
    "nl": "Bakery: 1,5 punten per €\xa01,00 besteed",
    "fr": "Bakery : 1,5 points par 1,00\xa0€ dépensé",
    "pl": "Bakery: 1,5 punkty za każde wydane 1,00\xa0€",
    "nb": "Bakery: 1,5 poeng per 1,00\xa0€ brukt",
}


async def _slug(town: Town) -> str:
    async with town.engine.connect() as c:
        found = await c.execute(text("SELECT slug FROM coalitions WHERE id = :i"), {"i": town.coalition_id})
        return str(found.scalar_one())


def _client(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """A browser of its own: cookies set for one test stay in it."""
    return httpx.AsyncClient(transport=client._transport, base_url=str(client.base_url))


@pytest.mark.parametrize("language", list(TITLES))
async def test_the_terms_are_written_in_each_language_with_its_own_page_texts(
    town: Town, client: httpx.AsyncClient, language: str
) -> None:
    await town.partner("Bakery", "1.5")
    page = await client.get(f"/terms/{await _slug(town)}", params={"lang": language})
    assert page.status_code == 200
    assert page.headers["content-language"] == language
    assert f'<html lang="{language}">' in page.text
    assert f"<h1>{TITLES[language]}</h1>" in page.text
    assert 'class="note"' not in page.text  # served as asked
    # Every language is offered by its own name.
    for code, name in LANGUAGE_NAMES.items():
        assert f'hreflang="{code}" lang="{code}"' in page.text
        assert name in page.text
    # The shop's rate as the language writes numbers, in the plural form it takes.
    assert RATES[language] in page.text


async def test_the_address_beats_the_remembered_choice_which_beats_the_browser_and_the_default(
    town: Town, client: httpx.AsyncClient
) -> None:
    url = f"/terms/{await _slug(town)}"
    async with _client(client) as browser:
        assert (await browser.get(url)).headers["content-language"] == "en"  # the coalition's default
        polish = await browser.get(url, headers={"Accept-Language": "de-DE, pl;q=0.8, nl;q=0.5"})
        assert polish.headers["content-language"] == "pl"  # German is not ours: the next one wanted
        refused = await browser.get(url, headers={"Accept-Language": "nl;q=0, *;q=0.1"})
        assert refused.headers["content-language"] == "en"
        token = re.search(r'name="_csrf_token" value="([^"]+)"', polish.text)
        assert token is not None
        chosen = await browser.post(
            "/language", data={"_csrf_token": token.group(1), "language": "nb", "back": f"{url}?lang=fr"}
        )
        assert chosen.status_code == 303
        assert chosen.headers["location"] == url  # back to the page, without the address's language
        assert (await browser.get(url, headers={"Accept-Language": "pl"})).headers["content-language"] == "nb"
        assert (await browser.get(url, params={"lang": "fr"})).headers["content-language"] == "fr"


async def test_a_language_we_do_not_write_in_is_answered_visibly_in_another(
    town: Town, client: httpx.AsyncClient
) -> None:
    url = f"/terms/{await _slug(town)}"
    german = await client.get(url, params={"lang": "de"}, headers={"Accept-Language": "fr"})
    assert german.headers["content-language"] == "fr"
    assert "Ces conditions ne sont pas disponibles en allemand ; elles sont affichées en français." in german.text
    escaped = await client.get(url, params={"lang": "<b>x</b>"})
    assert "&lt;b&gt;x&lt;/b&gt;" in escaped.text
    assert "<b>x</b>" not in escaped.text


async def test_a_form_posted_without_its_token_is_refused_and_changes_nothing(
    town: Town, client: httpx.AsyncClient
) -> None:
    url = f"/terms/{await _slug(town)}"
    async with _client(client) as browser:
        page = await browser.get(url)
        forged = await browser.post("/language", data={"language": "nl", "back": url})
        assert forged.status_code == 403
        assert "coalition_language" not in forged.cookies
        wrong = await browser.post("/language", data={"_csrf_token": "0" * 64, "language": "nl", "back": url})
        assert wrong.status_code == 403
        assert (await browser.get(url)).headers["content-language"] == "en"
        assert 'name="_csrf_token"' in page.text


async def test_a_language_that_is_not_ours_gets_a_message_next_to_the_field(
    town: Town, client: httpx.AsyncClient
) -> None:
    url = f"/terms/{await _slug(town)}"
    async with _client(client) as browser:
        page = await browser.get(url, headers={"Accept-Language": "nl"})
        token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
        assert token is not None
        for bad in ("de", "", "NL", "nl-BE"):
            refused = await browser.post(
                "/language",
                data={"_csrf_token": token.group(1), "language": bad, "back": url},
                headers={"Accept-Language": "nl"},
            )
            assert refused.status_code == 400
            assert 'aria-invalid="true" aria-describedby="field-language-error"' in refused.text
            assert '<p class="error" id="field-language-error">Kies een van de talen uit de lijst.</p>' in refused.text
            assert "coalition_language" not in refused.cookies
        assert (await browser.get(url)).headers["content-language"] == "en"


async def test_the_token_may_come_in_the_header_htmx_sends(town: Town, client: httpx.AsyncClient) -> None:
    url = f"/terms/{await _slug(town)}"
    async with _client(client) as browser:
        page = await browser.get(url)
        token = re.search(r'hx-headers=\'\{"x-csrftoken": "([^"]+)"\}\'', page.text)
        assert token is not None
        chosen = await browser.post(
            "/language", data={"language": "fr", "back": url}, headers={"x-csrftoken": token.group(1)}
        )
        assert chosen.status_code == 303
        assert (await browser.get(url)).headers["content-language"] == "fr"


@pytest.mark.parametrize("back", ["https://evil.example/x", "//evil.example/x", "/\\evil.example", "terms"])
async def test_the_chooser_only_sends_visitors_back_to_this_site(
    town: Town, client: httpx.AsyncClient, back: str
) -> None:
    async with _client(client) as browser:
        page = await browser.get(f"/terms/{await _slug(town)}")
        token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
        assert token is not None
        chosen = await browser.post("/language", data={"_csrf_token": token.group(1), "language": "pl", "back": back})
        assert (chosen.status_code, chosen.headers["location"]) == (303, "/")


async def test_an_unknown_coalition_is_a_page_in_the_visitors_language(client: httpx.AsyncClient) -> None:
    missing = await client.get(f"/terms/none-{uuid.uuid4().hex[:8]}", headers={"Accept-Language": "pl"})
    assert missing.status_code == 404
    assert "Nie ma takiej koalicji." in missing.text


async def test_the_api_takes_posts_without_a_form_token(client: httpx.AsyncClient, town: Town) -> None:
    answer = await client.post(
        "/graphql", json={"query": "{ coalition { name } }"}, headers={"Authorization": f"Bearer {town.operator_token}"}
    )
    assert answer.json()["data"]["coalition"]["name"] == "Test Town"


async def test_the_vendored_htmx_is_served_from_here(client: httpx.AsyncClient) -> None:
    script = await client.get("/static/vendor/htmx-2.0.11.min.js")
    assert script.status_code == 200
    assert 'version:"2.0.11"' in script.text.replace(" ", "")
    assert (await client.get("/static/site.css")).status_code == 200
