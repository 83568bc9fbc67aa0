"""The pages' languages: which one a request gets, and its catalogue.

Each area of the pages keeps its own catalogue (``DOMAINS``): the texts of
``web/<area>/**.py`` and ``templates/<area>/**.html`` (less those of a
narrower area inside it) are in ``locales/<language>/LC_MESSAGES/<area with -
for />.po``; the ``web`` domain holds the rest (the shared templates, the
public pages). English is the
source language and needs none. A language's catalogues are compiled in memory
on first use and read as one."""

from __future__ import annotations

import functools
import gettext
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.support import Translations

from coalition.platform.programme.rules import LANGUAGES
from coalition.platform.runtime.catalogues import compiled

LOCALES = Path(__file__).parent / "locales"
# One catalogue per area, so each area's texts change without touching the others'.
DOMAINS = (
    "web",
    "portal",
    "shop",
    "shop/programme",
    "shop/dashboard",
    "shop/settings",
    "operator",
    "wallet",
    "wallet/account",
    "wallet/programme",
    "wallet/me",
)
# The cookie the language chooser sets: a visitor's choice outlives the visit.
LANGUAGE_COOKIE = "coalition_language"


@functools.cache
def translations(language: str) -> gettext.NullTranslations:
    """Every catalogue of ``language`` as one; English answers with the source text."""
    merged = Translations()
    for domain in DOMAINS:
        found = compiled(catalogue_path(language, domain), language, "web")
        if isinstance(found, Translations):
            merged.merge(found)
    return merged


def catalogue_file(domain: str) -> str:
    """``wallet/me`` -> ``wallet-me``: the name of a domain's .po and .pot files."""
    return domain.replace("/", "-")


def catalogue_path(language: str, domain: str) -> Path:
    return LOCALES / language / "LC_MESSAGES" / f"{catalogue_file(domain)}.po"


def offered(requested: str | None) -> str | None:
    """Ours of the language a request names ("nl", "NL", "nl-BE", "nb_NO"), if any.
    Norwegian without a written standard ("no") is read as Bokmål."""
    if not requested:
        return None
    primary = requested.strip().replace("_", "-").split("-")[0].lower()
    primary = "nb" if primary == "no" else primary
    return primary if primary in LANGUAGES else None


def accepted(header: str | None) -> list[str]:
    """The languages of an Accept-Language header, most wanted first
    (``q=0`` means "not this one"); malformed parts are skipped."""
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate((header or "").split(",")):
        tag, _, parameters = part.strip().partition(";")
        quality = 1.0
        name, _, value = parameters.strip().partition("=")
        if name.strip() == "q":
            try:
                quality = float(value)
            except ValueError:
                continue
        if tag and quality > 0:
            weighted.append((-quality, position, tag.strip()))
    return [tag for _, _, tag in sorted(weighted)]


def choose(*, asked: str | None, person: str | None, remembered: str | None, browser: str | None,
           default: str) -> str:  # fmt: skip
    """The language of a page: the one the address asks for, else the signed-in
    person's setting, else the visitor's remembered choice, else the first of
    the browser's that we offer, else the coalition's."""
    for candidate in (asked, person, remembered, *accepted(browser)):
        language = offered(candidate)
        if language:
            return language
    return offered(default) or "en"


def display_name(code: str, in_language: str) -> str:
    """A language's name in ``in_language``; a code that names no language is shown as given."""
    try:
        return Locale.parse(code.replace("-", "_")).get_display_name(in_language) or code
    except (ValueError, UnknownLocaleError):
        return code[:35]


@dataclass(frozen=True)
class LanguageChoice:
    code: str
    name: str  # in its own language: a reader finds their language by its own name


def language_choices(codes: Iterable[str] = LANGUAGES) -> list[LanguageChoice]:
    return [LanguageChoice(code, display_name(code, code)) for code in codes]
