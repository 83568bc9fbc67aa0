"""Security headers on every response of the app, pages and API alike.

A hook on everything the app sends rather than per-route headers, so a page
added later cannot be served without them. The content security policy allows nothing
from outside the app's own origin and no framing; HSTS is sent only when the
request came over HTTPS, directly or as forwarded by a proxy (over plain
HTTP a browser ignores it anyway).
"""

from __future__ import annotations

from litestar.types import Message, Scope

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'; form-action 'self'"
)
HSTS = "max-age=31536000; includeSubDomains"

_ALWAYS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
)


def _over_https(scope: Scope) -> bool:
    if scope.get("scheme") == "https":
        return True
    for name, value in scope.get("headers", ()):
        if name == b"x-forwarded-proto":
            return value.split(b",")[0].strip().lower() == b"https"
    return False


async def security_headers(message: Message, scope: Scope) -> None:
    """A ``before_send`` hook: it sees every answer, a 404 from the router too."""
    if message["type"] != "http.response.start":
        return
    extra = _ALWAYS + (((b"strict-transport-security", HSTS.encode()),) if _over_https(scope) else ())
    headers = list(message.get("headers", ()))
    present = {name.lower() for name, _ in headers}
    headers.extend(header for header in extra if header[0] not in present)
    message["headers"] = headers
