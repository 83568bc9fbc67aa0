"""A server the API depends on failing in the middle of a request.

When PostgreSQL restarts or Redis drops, a request that was already past the
GraphQL layer's own error handling (authenticating its credential, building
its context, a page reading its data) would otherwise surface as a bare
``500 Internal Server Error``, which a till must treat as "something broke,
maybe my posting". It answers ``503`` with ``Retry-After`` and the stable code
``UNAVAILABLE`` instead, so a till retries under the same idempotency key,
and the operator's log says which server failed. Database errors that are not
about the connection (a constraint, a bad statement) stay 500s: they are bugs.
"""

from __future__ import annotations

from typing import Any

import structlog
from litestar import MediaType, Request, Response
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR, HTTP_503_SERVICE_UNAVAILABLE
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

UNAVAILABLE = "UNAVAILABLE"
RETRY_AFTER_SECONDS = 5
MESSAGE = "The service is briefly unavailable (a server it depends on did not answer). Try again shortly."

_log = structlog.stdlib.get_logger("coalition.unavailable")

# What a dependency's failure raises: the handlers are registered for these.
FAILURES: tuple[type[Exception], ...] = (
    DBAPIError,
    PoolTimeoutError,
    ConnectionError,
    TimeoutError,
    RedisConnectionError,
    RedisTimeoutError,
)


def is_unavailability(failure: Exception) -> bool:
    if isinstance(failure, DBAPIError):
        return isinstance(failure, (OperationalError, InterfaceError)) or failure.connection_invalidated
    return isinstance(failure, FAILURES)


def _which(failure: Exception) -> str:
    return "redis" if isinstance(failure, (RedisConnectionError, RedisTimeoutError)) else "postgresql"


def answer_unavailable(request: Request[Any, Any, Any], failure: Exception) -> Response[Any]:
    """503 for a dependency's failure (GraphQL-shaped on ``/graphql``); a 500, logged, for anything else."""
    if not is_unavailability(failure):
        _log.error("unhandled error", path=request.url.path, exc_info=failure)
        return Response(
            {"status_code": 500, "detail": "Internal Server Error"}, status_code=HTTP_500_INTERNAL_SERVER_ERROR
        )
    _log.warning("dependency unavailable", path=request.url.path, server=_which(failure), error=type(failure).__name__)
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if request.url.path.startswith("/graphql"):
        body = {"data": None, "errors": [{"message": MESSAGE, "extensions": {"code": UNAVAILABLE}}]}
        return Response(body, status_code=HTTP_503_SERVICE_UNAVAILABLE, headers=headers)
    return Response(
        f"{UNAVAILABLE}: {MESSAGE}", status_code=HTTP_503_SERVICE_UNAVAILABLE, headers=headers,
        media_type=MediaType.TEXT,
    )  # fmt: skip
