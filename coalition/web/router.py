"""The web pages as one Litestar router, mounted beside the API; and the
cross-site request protection their forms need."""

from __future__ import annotations

import secrets
from pathlib import Path
from urllib.parse import urlencode

import structlog
from litestar import Response, Router
from litestar.config.csrf import CSRFConfig
from litestar.di import Provide
from litestar.response import Redirect
from litestar.static_files import create_static_files_router
from redis.asyncio import Redis
from redis.exceptions import RedisError
from strawberry import Schema

from coalition.web.documents import PageData
from coalition.web.operator.routes import ROUTES as OPERATOR
from coalition.web.pages import AnyRequest, html_page, page_language
from coalition.web.portal.routes import ROUTES as PORTAL
from coalition.web.public.language import choose_language
from coalition.web.public.terms import terms_page
from coalition.web.shop.dashboard.routes import ROUTES as SHOP_DASHBOARD
from coalition.web.shop.programme.routes import ROUTES as SHOP_PROGRAMME
from coalition.web.shop.routes import ROUTES as SHOP
from coalition.web.shop.settings.routes import ROUTES as SHOP_SETTINGS
from coalition.web.viewers import NotAllowed, SignInRequired
from coalition.web.wallet.account.routes import ROUTES as WALLET_ACCOUNT
from coalition.web.wallet.me.routes import ROUTES as WALLET_ME
from coalition.web.wallet.programme.routes import ROUTES as WALLET_PROGRAMME

STATIC = Path(__file__).parent / "static"
_SIGNING_KEY_IN_REDIS = "coalition:web:csrf-signing-key"
_log = structlog.stdlib.get_logger("coalition.web")


def web_router(schema: Schema) -> Router:
    """Every page, with ``schema`` answering their documents; and /static."""
    pages = PageData(schema)
    static = create_static_files_router(path="/static", directories=[STATIC], include_in_schema=False)
    return Router(
        path="/",
        route_handlers=[
            terms_page,
            choose_language,
            static,
            *PORTAL,
            *SHOP,
            *SHOP_DASHBOARD,
            *SHOP_SETTINGS,
            *SHOP_PROGRAMME,
            *OPERATOR,
            *WALLET_ACCOUNT,
            *WALLET_PROGRAMME,
            *WALLET_ME,
        ],
        dependencies={"pages": Provide(lambda: pages, sync_to_thread=False)},
        exception_handlers={SignInRequired: _to_sign_in, NotAllowed: _not_allowed},
    )


def _to_sign_in(request: AnyRequest, condition: SignInRequired) -> Redirect:
    """To the app's sign-in page, which comes back here afterwards. htmx
    requests are told to load the whole page, not swap a sign-in form into a fragment."""
    target = f"{condition.sign_in_path}?{urlencode({'next': condition.back})}"
    if request.headers.get("hx-request"):
        return Redirect(target, status_code=303, headers={"HX-Redirect": target})
    return Redirect(target, status_code=303)


def _not_allowed(request: AnyRequest, _: NotAllowed) -> Response[str]:
    language = page_language(request, default="en")
    return html_page(request, "forbidden.html", language, status_code=403)


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
