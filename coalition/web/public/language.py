"""The language chooser's form: the choice is remembered in a cookie and the
visitor goes back to the page they were reading. A signed-in staff person's
choice is also kept on their record, for their next sign-in and their mail."""

from __future__ import annotations

from litestar import Response, post
from litestar.datastructures import Cookie
from litestar.response import Redirect

from coalition.graphql.context import Services
from coalition.platform.runtime.unit_of_work import unit_of_work
from coalition.platform.staff import service as staff
from coalition.web.i18n import LANGUAGE_COOKIE, offered, translations
from coalition.web.pages import AnyRequest, html_page, page_language
from coalition.web.viewers import optional_staff

YEAR = 365 * 24 * 3600


def _same_site_path(back: str) -> str:
    """Where to go back to: a path on this site only (never another host), without its query
    (a ``?lang=`` there would override the choice just made)."""
    path = back.split("?", 1)[0].split("#", 1)[0]
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    return path


@post("/language", include_in_schema=False, status_code=303)
async def choose_language(request: AnyRequest) -> Response[str] | Redirect:
    form = await request.form()
    asked, back = str(form.get("language", "")), _same_site_path(str(form.get("back", "/")))
    language = offered(asked)
    if language is None or language != asked:
        shown = page_language(request, default="en")
        return html_page(
            request, "public/language.html", shown, status_code=400, back=back,
            language_error=translations(shown).gettext("Choose one of the languages in the list."),
        )  # fmt: skip
    viewer = await optional_staff(request)
    if viewer is not None:
        services: Services = request.app.state.services
        async with unit_of_work(services.sessions, services.redis, services.local_caches) as session:
            await staff.choose_language(session, viewer.principal, language)
    cookie = Cookie(key=LANGUAGE_COOKIE, value=language, max_age=YEAR, httponly=True, samesite="lax", path="/")
    return Redirect(back, status_code=303, cookies=[cookie])
