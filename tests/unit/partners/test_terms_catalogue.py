"""Every sentence the terms are written from has its translation in every
language the terms are offered in, plural forms included: a new sentence
cannot reach the page in English only."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

import coalition.partners.terms
from coalition.platform.programme.rules import LANGUAGES

SOURCE = Path(coalition.partners.terms.__file__)
LOCALES = SOURCE.parent / "locales"


def _written() -> list[str | tuple[str, ...]]:
    keywords = {"t": None, "plural": (1, 2)}  # t("...") and t.plural("...", "...", n)
    return [message for _, message, _, _ in extract_from_file("python", str(SOURCE), keywords=keywords)]


@pytest.mark.parametrize("language", [code for code in LANGUAGES if code != "en"])
def test_every_sentence_of_the_terms_is_in_the_template_and_translated(language: str) -> None:
    with (LOCALES / "terms.pot").open("rb") as source:
        template = read_po(source)
    with (LOCALES / language / "LC_MESSAGES" / "terms.po").open("rb") as source:
        catalogue = read_po(source, locale=language)
    written = _written()
    assert len(written) > 45
    for message in written:
        key = message[0] if isinstance(message, tuple) else message
        assert template.get(key) is not None, f"not in terms.pot: {message!r}"
        entry = catalogue.get(key)
        assert entry is not None, f"not in the {language} catalogue: {message!r}"
        assert entry.id == message, f"the {language} catalogue has another form of: {message!r}"
        forms = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        assert all(forms), f"untranslated: {message!r}"
        if isinstance(message, tuple):
            assert len(forms) == catalogue.num_plurals, f"{language} needs {catalogue.num_plurals} forms: {message!r}"
    assert not [m.id for m in catalogue if m.id and m.fuzzy], "fuzzy translations are not used"
