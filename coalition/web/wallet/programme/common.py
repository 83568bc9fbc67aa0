"""What the wallet's programme pages share: reading a page's document as the
member, the page's formats in the coalition's time zone, form values and the
messages a refusal is shown with, in the member's language."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Response

from coalition.graphql.context import Services
from coalition.web.documents import PageData
from coalition.web.formatting import Formats
from coalition.web.i18n import translations
from coalition.web.pages import AnyRequest, page_language
from coalition.web.viewers import MemberViewer
from coalition.web.wallet.layout import wallet_page

# The most points a form field takes: more than any wallet holds, less than the API's integers.
MAX_POINTS = 1_000_000_000


async def read(
    request: AnyRequest, pages: PageData, viewer: MemberViewer, name: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The data of ``wallet/programme/<name>.graphql``, run with the member's own rights."""
    services: Services = request.app.state.services
    return await pages.fetch(services, viewer.principal, f"wallet/programme/{name}", variables)


def show(
    request: AnyRequest, viewer: MemberViewer, template: str, data: dict[str, Any], *, status_code: int = 200,
    **values: Any,
) -> Response[str]:  # fmt: skip
    """``wallet/programme/<template>.html`` with ``data``, times in the coalition's zone."""
    language = page_language(request, default="en")
    timezone = str(data.get("coalition", {}).get("timezone") or "UTC")
    return wallet_page(
        request, viewer, f"wallet/programme/{template}.html", language=language, status_code=status_code,
        data=data, fmt=Formats(language, timezone), **values,
    )  # fmt: skip


def N_(text: str) -> str:  # noqa: N802: gettext's name for "translated where it is shown"
    return text


def new_key() -> str:
    """The idempotency key a form carries: sending it twice posts once."""
    return uuid.uuid4().hex


def form_key(form: Any) -> str:
    key = str(form.get("idempotency_key", "")).strip()
    return key if 8 <= len(key) <= 64 and key.isalnum() else new_key()


def text(request: AnyRequest, message: str, **values: Any) -> str:
    """``message`` in the page's language."""
    translated = translations(page_language(request, default="en")).gettext(message)
    return translated % values if values else translated


def points_value(request: AnyRequest, raw: object) -> tuple[int | None, str | None]:
    """A whole, positive number of points typed in a form, or the message to show next to the field."""
    typed = str(raw or "").strip().replace(" ", "").replace("\u00a0", "")
    if not typed.isdigit() or not 0 < int(typed) <= MAX_POINTS:
        return None, text(request, N_("Enter a whole number of points, more than zero."))
    return int(typed), None


def refusal(request: AnyRequest, error: dict[str, Any], limit: int | None = None) -> str:
    """What the member is told for an API refusal (``errors { code message field }``)."""
    code = error.get("code")
    if code == "INSUFFICIENT_POINTS":
        return text(request, N_("You do not have that many points to spend."))
    if code == "LIMIT_EXCEEDED":
        if limit is not None:
            written = Formats(page_language(request, default="en")).number(limit)
            return text(request, N_("That is over the limit: at most %(points)s points."), points=written)
        return text(request, N_("That is over the coalition's limit."))
    if code == "FORBIDDEN":
        return text(request, N_("The coalition does not allow this."))
    if code == "NOT_FOUND":
        return text(request, N_("Not found: check what you typed."))
    if code in ("PARTNER_NOT_ACTIVE", "MEMBER_NOT_ELIGIBLE"):
        return text(request, N_("This is not possible right now."))
    return text(request, N_("Check what you typed."))
