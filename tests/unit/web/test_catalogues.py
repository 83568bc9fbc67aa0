"""The pages' catalogues: the template holds every text the pages and their
Python use, and every language has every text translated, placeholders kept."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

import coalition.web
from coalition.platform.programme.rules import LANGUAGES

WEB = Path(coalition.web.__file__).parent
LOCALES = WEB / "locales"
# Texts that read the same in a language as in English: none yet.
SAME_AS_ENGLISH: dict[str, set[str]] = {"nl": set(), "fr": set(), "pl": set(), "nb": set()}
PLACEHOLDER = re.compile(r"%\(\w+\)s")


def _extracted() -> set[str]:
    with (LOCALES / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    found = set()
    for _, _, message, _, _ in extract_from_dir(str(WEB), method_map, options_map):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def _template() -> set[str]:
    with (LOCALES / "web.pot").open("rb") as source:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(source) if m.id}


def test_the_template_holds_exactly_the_texts_the_pages_use() -> None:
    extracted = _extracted()
    assert len(extracted) >= 10
    assert extracted == _template(), "run the pybabel extract command at the top of coalition/web/locales/babel.cfg"


@pytest.mark.parametrize("language", [code for code in LANGUAGES if code != "en"])
def test_every_text_is_translated_into_every_language(language: str) -> None:
    with (LOCALES / language / "LC_MESSAGES" / "web.po").open("rb") as source:
        catalogue = read_po(source, locale=language)
    for text in _template():
        entry = catalogue.get(text)
        assert entry is not None, f"not in the {language} catalogue: {text!r}"
        assert entry.string, f"untranslated into {language}: {text!r}"
        assert not entry.fuzzy, f"fuzzy in {language}: {text!r}"
        if text not in SAME_AS_ENGLISH[language]:
            assert entry.string != text, f"still English in {language}: {text!r}"
        assert sorted(PLACEHOLDER.findall(entry.string)) == sorted(PLACEHOLDER.findall(text)), (language, text)
    assert {m.id for m in catalogue if m.id} == _template(), f"{language} has texts no page uses"
