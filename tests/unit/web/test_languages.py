"""Which language a page is answered in."""

from __future__ import annotations

import pytest

from coalition.web.i18n import accepted, choose, display_name, offered


def test_accept_language_is_read_by_preference_and_refusals_are_dropped() -> None:
    assert accepted("da, en-GB;q=0.8, en;q=0.7") == ["da", "en-GB", "en"]
    assert accepted("nl;q=0.2, fr") == ["fr", "nl"]
    assert accepted("pl;q=0, nb") == ["nb"]
    assert accepted("fr;q=abc, nl") == ["nl"]
    assert accepted("") == accepted(None) == []


@pytest.mark.parametrize(
    ("asked", "ours"),
    [
        ("nl", "nl"),
        ("NL", "nl"),
        ("nl-BE", "nl"),
        ("nb_NO", "nb"),
        ("no", "nb"),
        ("de", None),
        ("", None),
        (None, None),
    ],
)
def test_a_named_language_is_ours_when_its_primary_tag_is(asked: str | None, ours: str | None) -> None:
    assert offered(asked) == ours


def test_the_address_then_the_person_then_the_remembered_choice_then_the_browser_then_the_default() -> None:
    everything = {"asked": "fr", "person": "pl", "remembered": "nb", "browser": "nl", "default": "en"}
    assert choose(**everything) == "fr"
    assert choose(**{**everything, "asked": "de"}) == "pl"
    assert choose(**{**everything, "asked": None, "person": None}) == "nb"
    assert choose(**{**everything, "asked": None, "person": None, "remembered": None}) == "nl"
    assert choose(asked=None, person=None, remembered=None, browser="de, da", default="pl") == "pl"
    assert choose(asked=None, person=None, remembered=None, browser=None, default="xx") == "en"


def test_languages_are_named_in_the_readers_language() -> None:
    assert display_name("nb", "nb") == "norsk bokmål"
    assert display_name("pl", "fr") == "polonais"
    assert display_name("<b>", "en") == "<b>"  # not a language: shown as given, escaped by the page
