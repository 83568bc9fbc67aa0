"""``/terms/<slug>``: a coalition's programme terms, written from its live
rules, in the reader's language."""

from __future__ import annotations

from datetime import UTC, datetime

from litestar import Response, get
from litestar.datastructures import State

from coalition.graphql.context import Services
from coalition.platform.coalitions.repository import coalition_by_slug
from coalition.web.documents import PageData, visitor
from coalition.web.i18n import display_name, offered
from coalition.web.pages import AnyRequest, html_page, page_language


@get("/terms/{slug:str}", include_in_schema=False)
async def terms_page(
    request: AnyRequest, state: State, pages: PageData, slug: str, lang: str | None = None
) -> Response[str]:
    services: Services = state.services
    async with services.reads.connect() as connection:
        coalition = await coalition_by_slug(connection, slug)
    if coalition is None:
        language = page_language(request, default="en", asked=lang)
        return html_page(request, "public/not_found.html", language, status_code=404)
    rules = await services.coalition_rules.get(coalition.id)
    language = page_language(request, default=rules.language, asked=lang)
    data = await pages.fetch(services, visitor(coalition.id), "public/terms", {"language": language})
    terms = data["programTerms"]
    shown = terms["language"]
    # Asked for a language we do not write in: say so rather than silently switch.
    note = None
    if lang and offered(lang) != shown:
        note = {"requested": display_name(lang, shown), "shown": display_name(shown, shown)}
    return html_page(
        request, "public/terms.html", shown, coalition=data["coalition"], terms=terms, note=note,
        updated=datetime.now(UTC),
    )  # fmt: skip
