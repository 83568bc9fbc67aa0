"""The web pages as one Litestar router, mounted beside the API; and the
cross-site request protection their forms need."""

from __future__ import annotations

import secrets
from pathlib import Path

import structlog
from litestar import Router
from litestar.config.csrf import CSRFConfig
from litestar.di import Provide
from litestar.static_files import create_static_files_router
from redis.asyncio import Redis
from redis.exceptions import RedisError
from strawberry import Schema

from coalition.web.documents import PageData
from coalition.web.public.language import choose_language
from coalition.web.public.terms import terms_page

STATIC = Path(__file__).parent / "static"
_SIGNING_KEY_IN_REDIS = "coalition:web:csrf-signing-key"
_log = structlog.stdlib.get_logger("coalition.web")


def web_router(schema: Schema) -> Router:
    """Every page, with ``schema`` answering their documents; and /static."""
    pages = PageData(schema)
    static = create_static_files_router(path="/static", directories=[STATIC], include_in_schema=False)
    return Router(
        path="/",
        route_handlers=[terms_page, choose_language, static],
        dependencies={"pages": Provide(lambda: pages, sync_to_thread=False)},
    )


def csrf_config(api_path: str) -> CSRFConfig:
    """Every form must send back the token its page was given. The API is
    excluded: it takes bearer tokens, never cookies. The key that signs the
    tokens is this process's own until ``share_signing_key`` replaces it."""
    return CSRFConfig(
        secret=secrets.token_hex(32), exclude=[f"^{api_path}$"], cookie_httponly=True, cookie_samesite="lax"
    )


async def share_signing_key(config: CSRFConfig, redis: Redis) -> None:
    """Sign with the key kept in Redis (made by the first process to start),
    so every server process accepts the others' tokens and a restart does not
    break forms already open. Without Redis the process keeps its own key: its
    forms still work when posted back to it."""
    try:
        await redis.set(_SIGNING_KEY_IN_REDIS, config.secret, nx=True)
        shared = await redis.get(_SIGNING_KEY_IN_REDIS)
    except RedisError as error:
        _log.warning("csrf.key_not_shared", error=type(error).__name__)
        return
    if isinstance(shared, bytes):
        config.secret = shared.decode()
