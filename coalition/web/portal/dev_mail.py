"""``/portal/dev/mail``: in development and the demo only (the
``development`` setting), the outbox's latest mails with their links, for a
machine that sends no mail. Elsewhere the page does not exist: it shows
everyone's invitations and sign-in links to whoever opens it."""

from __future__ import annotations

import re

from litestar import Response, get
from litestar.exceptions import NotFoundException

from coalition.platform.outbox.repository import latest_mails
from coalition.web.pages import AnyRequest
from coalition.web.portal import access

SHOWN = 50
_LINK = re.compile(r"https?://\S+")


@get("/portal/dev/mail", include_in_schema=False)
async def dev_mail(request: AnyRequest) -> Response[str]:
    if not access.settings_of(request).development:
        raise NotFoundException()
    async with access.services_of(request).reads.connect() as connection:
        mails = await latest_mails(connection, SHOWN)
    shown = [
        {"to": mail.recipient, "subject": mail.subject, "body": mail.body, "links": _LINK.findall(mail.body),
         "sent": mail.sent_at is not None}
        for mail in mails
    ]  # fmt: skip
    response = access.outside_page(request, "portal/dev_mail.html", mails=shown, errors={})
    response.headers["Cache-Control"] = "no-store"
    return response
