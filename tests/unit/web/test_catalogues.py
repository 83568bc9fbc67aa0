"""The pages' catalogues: each area's template (.pot) holds exactly the texts
its pages and their Python use, and every language has every text
translated, placeholders kept."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

import coalition.web
from coalition.platform.programme.rules import LANGUAGES
from coalition.web.i18n import DOMAINS, catalogue_file, catalogue_path

WEB = Path(coalition.web.__file__).parent
LOCALES = WEB / "locales"
TEMPLATES = WEB / "templates"
# Texts that read the same in a language as in English (a brand, a code).
SAME_AS_ENGLISH: dict[str, set[str]] = {
    "nl": {"OK", "IBAN", "E-mail", "Status", "Cashier", "Manager", "Partners", "Audit log", "Dashboard"},
    "fr": {"OK", "IBAN", "Code", "Points", "Total", "Date", "Description", "Message", "Statut", "Actions"},
    "pl": {"OK", "IBAN", "E-mail", "Portal"},
    "nb": {"OK", "IBAN", "E-mail", "Status", "Portal"},
}
PLACEHOLDER = re.compile(r"%\(\w+\)s")


def _domain_of(path: Path) -> str:
    """The narrowest area whose folder holds ``path``; "web" when none does."""
    relative = path.relative_to(TEMPLATES if TEMPLATES in path.parents else WEB).parent.as_posix()
    holding = [d for d in DOMAINS if d != "web" and (relative == d or relative.startswith(d + "/"))]
    return max(holding, key=len, default="web")


def _files(domain: str) -> list[Path]:
    """The files whose texts belong to ``domain`` (see ``coalition.web.i18n``)."""
    return sorted(p for p in [*WEB.rglob("*.py"), *TEMPLATES.rglob("*.html")] if _domain_of(p) == domain)


def _extracted(domain: str) -> set[str]:
    with (LOCALES / "babel.cfg").open() as config:
        _, options_map = parse_mapping_cfg(config)
    found = set()
    for path in _files(domain):
        method = "python" if path.suffix == ".py" else "jinja2"
        options = options_map.get("**/templates/**.html", {}) if method == "jinja2" else {}
        for _, message, _, _ in extract_from_file(method, str(path), options=options):
            found.add(message[0] if isinstance(message, tuple) else message)
    return found


def _template(domain: str) -> set[str]:
    path = LOCALES / f"{catalogue_file(domain)}.pot"
    if not path.exists():
        return set()
    with path.open("rb") as source:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(source) if m.id}


@pytest.mark.parametrize("domain", DOMAINS)
def test_the_template_holds_exactly_the_texts_the_pages_use(domain: str) -> None:
    assert _extracted(domain) == _template(domain), (
        f"run the extract command in coalition/web/locales/babel.cfg for {domain}"
    )


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("language", [code for code in LANGUAGES if code != "en"])
def test_every_text_is_translated_into_every_language(domain: str, language: str) -> None:
    texts = _template(domain)
    if not texts:
        return
    with catalogue_path(language, domain).open("rb") as source:
        catalogue = read_po(source, locale=language)
    for text in texts:
        entry = catalogue.get(text)
        assert entry is not None, f"not in the {language} catalogue of {domain}: {text!r}"
        assert entry.string, f"untranslated into {language}: {text!r}"
        assert not entry.fuzzy, f"fuzzy in {language}: {text!r}"
        if text not in SAME_AS_ENGLISH[language]:
            assert entry.string != text, f"still English in {language}: {text!r}"
        assert sorted(PLACEHOLDER.findall(entry.string)) == sorted(PLACEHOLDER.findall(text)), (language, text)
    assert {m.id for m in catalogue if m.id} == texts, f"{language} has texts no page of {domain} uses"


def test_the_web_domain_has_texts() -> None:
    assert len(_extracted("web")) >= 10
