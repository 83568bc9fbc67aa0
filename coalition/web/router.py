"""The web pages as one Litestar router, mounted beside the API; and the
cross-site request protection their forms need."""

from __future__ import annotations

import secrets
from pathlib import Path

from litestar import Router
from litestar.config.csrf import CSRFConfig
from litestar.di import Provide
from litestar.static_files import create_static_files_router
from redis import Redis
from strawberry import Schema

from coalition.web.documents import PageData
from coalition.web.public.language import choose_language
from coalition.web.public.terms import terms_page

STATIC = Path(__file__).parent / "static"
_SIGNING_KEY_IN_REDIS = "coalition:web:csrf-signing-key"


def web_router(schema: Schema) -> Router:
    """Every page, with ``schema`` answering their documents; and /static."""
    pages = PageData(schema)
    static = create_static_files_router(path="/static", directories=[STATIC], include_in_schema=False)
    return Router(
        path="/",
        route_handlers=[terms_page, choose_language, static],
        dependencies={"pages": Provide(lambda: pages, sync_to_thread=False)},
    )


def csrf_config(redis_url: str, *, api_path: str) -> CSRFConfig:
    """Every form must send back the token its page was given. The API is
    excluded: it takes bearer tokens, never cookies. The signing key is kept
    in Redis, made by the first process to start, so every server process
    accepts the tokens of the others and a restart does not break open forms."""
    with Redis.from_url(redis_url) as redis:
        redis.set(_SIGNING_KEY_IN_REDIS, secrets.token_hex(32), nx=True)
        secret = redis.get(_SIGNING_KEY_IN_REDIS)
    assert isinstance(secret, bytes)
    return CSRFConfig(secret=secret.decode(), exclude=[f"^{api_path}$"], cookie_httponly=True, cookie_samesite="lax")
