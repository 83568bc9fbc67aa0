"""The wallet as an installed app that works at the counter without a
network: its web manifest and its service worker.

The worker is a static file, but it is served from under /wallet (not
/static) with ``Service-Worker-Allowed``, so its scope covers ``/wallet``
itself as well as every page below it."""

from __future__ import annotations

import json
from pathlib import Path

from litestar import Response, get

from coalition.web.i18n import translations
from coalition.web.pages import AnyRequest, page_language

STATIC = Path(__file__).parent.parent / "static" / "wallet"
SCOPE = "/wallet"
THEME = "#0b5cad"


@get("/wallet/manifest.webmanifest", include_in_schema=False)
async def manifest(request: AnyRequest) -> Response[bytes]:
    language = page_language(request, default="en")
    name = translations(language).gettext("Wallet")
    document = {
        "name": name,
        "short_name": name,
        "lang": language,
        "start_url": SCOPE,
        "scope": SCOPE,
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": THEME,
        "icons": [
            {"src": "/static/wallet/icon.svg", "sizes": "any", "type": "image/svg+xml", "purpose": "any"},
            {"src": "/static/wallet/icon-192.png", "sizes": "192x192", "type": "image/png"},
            {"src": "/static/wallet/icon-512.png", "sizes": "512x512", "type": "image/png"},
        ],
    }
    return Response(
        json.dumps(document, ensure_ascii=False).encode(),
        media_type="application/manifest+json",
        headers={"Content-Language": language},
    )


@get("/wallet/service-worker.js", include_in_schema=False)
async def service_worker() -> Response[bytes]:
    return Response(
        (STATIC / "service-worker.js").read_bytes(),
        media_type="text/javascript",
        # A new version of the worker is picked up on the next visit, not after a day in a cache.
        headers={"Service-Worker-Allowed": SCOPE, "Cache-Control": "no-cache"},
    )
