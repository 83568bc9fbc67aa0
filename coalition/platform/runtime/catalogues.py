"""Babel catalogues as the code reads them. The .po files are what is
committed; each is compiled in memory on first use, so the tests and
``uv run`` read the same texts with no build step in between."""

from __future__ import annotations

import gettext
import io
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations


def compiled(path: Path, language: str, domain: str) -> gettext.NullTranslations:
    """The catalogue at ``path`` (a .po file) compiled; the source text where there is none."""
    if not path.exists():
        return gettext.NullTranslations()
    with path.open("rb") as source:
        catalogue = read_po(source, locale=language)
    binary = io.BytesIO()
    write_mo(binary, catalogue)
    binary.seek(0)
    return Translations(binary, domain=domain)
