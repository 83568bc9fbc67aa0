"""``/portal/keys``: a shop's owner makes till (POS) keys for the shop's
tills and integrations, each shown once, and revokes them."""

from __future__ import annotations

from typing import Any

from litestar import Response, get, post
from litestar.response import Redirect

from coalition.platform.staff.rules import StaffRole
from coalition.web.documents import PageData
from coalition.web.i18n import translations
from coalition.web.pages import AnyRequest, page_language
from coalition.web.portal import access
from coalition.web.portal.layout import N_, portal_page
from coalition.web.viewers import StaffViewer, staff_viewer

OWNERS = (StaffRole.OWNER,)
LABEL_ERROR = N_("A label has at most 200 characters.")
NO_KEY = N_("This key is not in force (revoked already, or not this shop's).")


async def _page(
    request: AnyRequest, pages: PageData, viewer: StaffViewer, *, status_code: int = 200, new_key: str | None = None,
    errors: dict[str, str] | None = None,
) -> Response[str]:  # fmt: skip
    data = await pages.fetch(access.services_of(request), viewer.principal, "portal/keys")
    texts = translations(page_language(request, default="en"))
    response = portal_page(
        request, viewer, "portal/keys.html", status_code=status_code, keys=data["apiKeys"], new_key=new_key,
        errors={name: texts.gettext(text) for name, text in (errors or {}).items()},
        revoked=request.query_params.get("revoked") is not None,
    )  # fmt: skip
    # The page with a new key on it must not be kept anywhere.
    response.headers["Cache-Control"] = "no-store"
    return response


@get("/portal/keys", include_in_schema=False)
async def keys_page(request: AnyRequest, pages: PageData) -> Response[str]:
    return await _page(request, pages, await staff_viewer(request, OWNERS))


@post("/portal/keys/create", include_in_schema=False)
async def create_key(request: AnyRequest, pages: PageData) -> Response[str]:
    viewer = await staff_viewer(request, OWNERS)
    label = str((await request.form()).get("label", "")).strip() or None
    data = await pages.fetch(access.services_of(request), viewer.principal, "portal/keys_create", {"label": label})
    created = data["createApiKey"]
    if created["errors"]:
        return await _page(request, pages, viewer, status_code=400, errors={"label": LABEL_ERROR})
    return await _page(request, pages, viewer, new_key=created["apiKey"])


@post("/portal/keys/revoke", include_in_schema=False)
async def revoke_key(request: AnyRequest, pages: PageData) -> Response[Any]:
    viewer = await staff_viewer(request, OWNERS)
    key_id = str((await request.form()).get("id", "")).strip()
    data = await pages.fetch(access.services_of(request), viewer.principal, "portal/keys_revoke", {"id": key_id})
    if data["revokeCredential"]["errors"]:
        return await _page(request, pages, viewer, status_code=404, errors={"form": NO_KEY})
    return Redirect("/portal/keys", query_params={"revoked": "1"}, status_code=303)
