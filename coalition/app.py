"""Composition root: ``create_app()`` wires the database, Redis, services and GraphQL."""

from __future__ import annotations

import asyncio
import gc
import hmac
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from typing import Any, Literal

from litestar import Litestar, MediaType, Request, get
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware.logging import LoggingMiddlewareConfig
from litestar.plugins.prometheus import PrometheusConfig, PrometheusController
from litestar.response import Response
from litestar.status_codes import HTTP_503_SERVICE_UNAVAILABLE
from litestar.types import Scope
from redis.asyncio import Redis
from sqlalchemy import text

from coalition.graphql.context import Context, Services
from coalition.graphql.endpoint import PATH as GRAPHQL_PATH
from coalition.graphql.endpoint import graphql_controller
from coalition.graphql.schema import create_schema
from coalition.partners.earning.till import TillSetups
from coalition.platform.auth.service import Authenticator
from coalition.platform.coalitions.service import CoalitionDirectory
from coalition.platform.errors import DomainError
from coalition.platform.ledger.repository import PostingGateway
from coalition.platform.ledger.service import LedgerService
from coalition.platform.programme.service import CoalitionRulesCache
from coalition.platform.runtime.broadcasts import CREDENTIALS_REVOKED, RULES_CHANGED, Subscription, listening
from coalition.platform.runtime.database import create_engine, create_sessionmaker
from coalition.platform.runtime.http import security_headers
from coalition.platform.runtime.logging import configure_logging, litestar_logging
from coalition.platform.runtime.metrics import process_exited
from coalition.platform.runtime.rate_limits import Limits, RateLimiter, rate_limited
from coalition.platform.runtime.settings import Settings
from coalition.platform.runtime.unavailable import FAILURES, answer_unavailable
from coalition.platform.staff.service import Mailing
from coalition.settlement import documents, downloads
from coalition.web.router import csrf_config, share_signing_key, web_router

_REQUEST_LOG_FIELDS: tuple[Literal["path", "method"], ...] = ("path", "method")
_RESPONSE_LOG_FIELDS: tuple[Literal["status_code"], ...] = ("status_code",)


def _bearer(request: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def graphql_context(request: Request[Any, Any, Any]) -> Context:
    services: Services = request.app.state.services
    token = _bearer(request)
    principal = await services.authenticator.authenticate(token) if token else None
    if principal is None:
        raise NotAuthorizedException(
            detail="UNAUTHENTICATED: send Authorization: Bearer <token> with a valid, unrevoked credential"
        )
    return Context.create(services, principal)


@get("/health/live", include_in_schema=False, sync_to_thread=False)
def live() -> dict[str, str]:
    return {"status": "ok"}


READINESS_WITHIN_SECONDS = 2.0


@get("/health/ready", include_in_schema=False)
async def ready(state: State) -> Response[dict[str, str]]:
    checks: dict[str, str] = {}

    async def select_one() -> None:
        async with state.services.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    # A server that stops answering must make this say 503 quickly, not hang the probe.
    try:
        await asyncio.wait_for(select_one(), READINESS_WITHIN_SECONDS)
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - readiness reports, never raises
        checks["database"] = f"unavailable: {type(exc).__name__}"
    try:
        await asyncio.wait_for(state.services.redis.ping(), READINESS_WITHIN_SECONDS)
        checks["redis"] = "ok"
    except Exception as exc:  # noqa: BLE001
        checks["redis"] = f"unavailable: {type(exc).__name__}"
    healthy = all(value == "ok" for value in checks.values())
    return Response(checks, status_code=200 if healthy else HTTP_503_SERVICE_UNAVAILABLE)


def metrics_controller(token: str) -> type[PrometheusController]:
    """``/metrics``, for the scraper holding ``token`` only: the figures tell
    who is busy and when."""

    def scraper_only(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        sent = _bearer(connection) or ""
        if not hmac.compare_digest(sent.encode(), token.encode()):
            raise NotAuthorizedException(detail="UNAUTHENTICATED: /metrics needs its bearer token")

    class Metrics(PrometheusController):
        guards = [scraper_only]

    return Metrics


def _redis_of(scope: Scope) -> Redis | None:
    services: Services | None = getattr(scope["app"].state, "services", None)
    return services.redis if services else None


class RulesCaches:
    """What saved programme rules make stale."""

    def __init__(self, services: Services) -> None:
        self._services = services

    def forget_all(self) -> None:
        self._services.till_setups.forget_all()
        self._services.coalition_rules.forget_all()


@get("/downloads/{token:str}", include_in_schema=False)
async def download(state: State, token: str) -> Response[bytes]:
    """A file behind an authorised, expiring link handed out by the API."""
    services: Services = state.services
    what = await downloads.look_up(services.redis, token)
    if what is None:
        return Response(b"This link has expired or never existed.", status_code=404, media_type=MediaType.TEXT)
    coalition_id = uuid.UUID(what["coalition"])
    try:
        async with services.engine.connect() as connection:
            if what["kind"] == "statement":
                document = await documents.statement_document(
                    connection, coalition_id, date.fromisoformat(what["day"]), uuid.UUID(what["partner"]),
                    what["format"],
                )  # fmt: skip
            elif what["kind"] == "matrix":
                document = await documents.matrix_document(connection, coalition_id, date.fromisoformat(what["day"]))
            else:
                document, _ = await documents.sepa_document(
                    connection, coalition_id, date.fromisoformat(what["start"]), date.fromisoformat(what["end"]),
                    date.fromisoformat(what["execution"]),
                )  # fmt: skip
    except DomainError as refused:
        return Response(f"{refused.code}: {refused.message}".encode(), status_code=409, media_type=MediaType.TEXT)
    return Response(
        document.content,
        media_type=document.media_type,
        headers={"Content-Disposition": f'attachment; filename="{document.filename}"'},
    )


def app_from_environment() -> Litestar:
    """The factory each server worker process calls: settings from its
    environment, where ``coalition serve`` put the servers' URLs."""
    configure_logging()
    return create_app(Settings())


def create_app(settings: Settings) -> Litestar:
    """The API for servers given by ``settings`` (URLs must be set by now)."""
    if settings.database_url is None or settings.redis_url is None:
        raise ValueError("create_app needs database_url and redis_url; the CLI starts embedded servers")
    database_url, redis_url = settings.database_url, settings.redis_url
    csrf = csrf_config(GRAPHQL_PATH)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        engine = create_engine(
            database_url, pool_size=settings.database_pool_size, answer_within=settings.database_answer_within_seconds
        )
        redis = Redis.from_url(redis_url)
        subscription = Subscription()
        await share_signing_key(csrf, redis)
        gateway = PostingGateway(
            engine, max_batch=settings.group_commit_max_batch, in_flight=settings.group_commit_in_flight
        )
        services = Services(
            engine=engine,
            reads=engine.execution_options(isolation_level="AUTOCOMMIT"),
            redis=redis,
            sessions=create_sessionmaker(engine),
            authenticator=Authenticator(engine, ttl=settings.auth_cache_seconds, trusted=lambda: subscription.live),
            ledger=LedgerService(gateway),
            till_setups=TillSetups(engine),
            coalitions=CoalitionDirectory(engine),
            coalition_rules=CoalitionRulesCache(engine),
            mailing=Mailing(settings.public_url, settings.mail_from),
        )
        services.local_caches = {CREDENTIALS_REVOKED: services.authenticator, RULES_CHANGED: RulesCaches(services)}
        app.state.services = services
        # Pages read what they need of the configuration (the public address, who mails come from).
        app.state.settings = settings
        # The schema, the ORM's tables and the libraries are a few hundred
        # thousand objects that live as long as the process. Left in the
        # collector's oldest generation, each full collection walks all of
        # them: a pause of up to 200 ms in the middle of some till's request.
        # Frozen, a collection only sees what requests left behind.
        gc.collect()
        gc.freeze()
        try:
            async with listening(redis, services.local_caches, subscription):
                yield
        finally:
            await gateway.aclose()
            await redis.aclose()
            await engine.dispose()
            process_exited()

    schema = create_schema(
        max_depth=settings.graphql_max_depth,
        max_aliases=settings.graphql_max_aliases,
        max_tokens=settings.graphql_max_tokens,
        max_fields=settings.graphql_max_fields,
        max_cost=settings.graphql_max_cost,
    )
    controller = graphql_controller(schema, graphql_context, concurrency=settings.database_pool_size)
    limiter = RateLimiter(
        Limits(
            window_seconds=settings.rate_limit_window_seconds,
            per_credential=settings.rate_limit_per_credential,
            per_address=settings.rate_limit_per_address,
            exempt_addresses=settings.rate_limit_exempt,
        )
    )
    metrics = PrometheusConfig(app_name="coalition", prefix="coalition", group_path=True, exclude=["/metrics"])
    request_logs = LoggingMiddlewareConfig(
        # Paths and outcomes only: bodies carry members' personal data.
        request_log_fields=_REQUEST_LOG_FIELDS,
        response_log_fields=_RESPONSE_LOG_FIELDS,
    )
    handlers: list[Any] = [controller, live, ready, download, web_router(schema)]
    if settings.metrics_token:
        handlers.append(metrics_controller(settings.metrics_token))
    return Litestar(
        route_handlers=handlers,
        csrf_config=csrf,
        lifespan=[lifespan],
        middleware=[rate_limited(limiter, _redis_of), metrics.middleware, request_logs.middleware],
        before_send=[security_headers],
        exception_handlers=dict.fromkeys(FAILURES, answer_unavailable),
        logging_config=litestar_logging(),
        # No OpenAPI pages: the API is GraphQL, and Litestar's pages load scripts from a CDN.
        openapi_config=None,
        request_max_body_size=settings.request_max_body_bytes,
        # The pages read the settings they need (public address, mail, demo mode) from here.
        state=State({"settings": settings}),
        debug=False,
    )
