"""Pages from Jinja2 templates, in the page's language.

One environment per language, each with its catalogue installed, so a
template's ``{% trans %}`` and ``_()`` read that language and the number,
money and date filters write it."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from coalition.web.formatting import Formats
from coalition.web.i18n import language_choices, translations

TEMPLATES = Path(__file__).parent / "templates"
# Changing a vendored file's name (its version is in it) makes browsers fetch it anew.
HTMX = "/static/vendor/htmx-2.0.11.min.js"


@functools.cache
def environment(language: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    env.filters.update(Formats(language).filters())
    choices = language_choices()
    env.globals.update(
        language=language,
        languages=choices,
        language_options=[(choice.code, choice.name) for choice in choices],
        htmx=HTMX,
    )
    return env


def render(template: str, language: str, **values: Any) -> str:
    """``template`` (a path under templates/) rendered in ``language``.
    ``values`` must include ``csrf_token`` for pages with forms."""
    return environment(language).get_template(template).render(**values)
