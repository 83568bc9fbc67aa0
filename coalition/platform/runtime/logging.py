"""One logging setup for every process (API servers, the worker): JSON lines
on stderr, one object a line, whether a record comes from structlog or from
a library through the standard ``logging`` module (arq, strawberry,
SQLAlchemy). Tracebacks are rendered to text inside the line: an exception
object handed to the encoder itself is what used to break it.

Levels say who has to act: ``error`` (with the traceback and its cause) for
what the operator must look at, ``warning`` for malformed requests a client
should fix, ``info`` for refusals that are part of normal use."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import structlog
from structlog.typing import Processor

if TYPE_CHECKING:  # the worker process needs neither
    from graphql import GraphQLError
    from litestar.logging.config import StructLoggingConfig

_SHARED: list[Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.add_log_level,
    structlog.stdlib.ExtraAdder(),
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]
_STRUCTLOG_PROCESSORS: list[Processor] = [*_SHARED, structlog.stdlib.ProcessorFormatter.wrap_for_formatter]


def _configure_structlog() -> None:
    structlog.configure(
        processors=_STRUCTLOG_PROCESSORS,
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def json_formatter() -> logging.Formatter:
    """Renders any record, structlog's or a library's, as one JSON line."""
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_SHARED,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
    )


def configure_logging(level: int = logging.INFO) -> None:
    """Send every log record of this process to stderr as a JSON line.
    Called once by each process's entry point; calling it again is harmless."""
    _configure_structlog()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(json_formatter())
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)


def _log_uncaught(logger: Any, scope: Any, _traceback: list[str]) -> None:
    """Litestar's hook for an exception that escaped a route: a client's
    mistake (a 4xx) is noted without a traceback, anything else is an error."""
    error = sys.exc_info()[1]
    status = getattr(error, "status_code", 500)
    if isinstance(status, int) and status < 500:
        logger.info("request refused", path=scope.get("path"), status_code=status, detail=str(error))
    else:
        logger.error("unexpected error", path=scope.get("path"), exc_info=error)


def litestar_logging() -> StructLoggingConfig:
    """The API's logging config for Litestar: the same structlog setup as
    :func:`configure_logging`, and every escaped exception logged once."""
    from litestar.logging.config import StructLoggingConfig

    return StructLoggingConfig(
        processors=_STRUCTLOG_PROCESSORS,
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        log_exceptions="always",
        exception_logging_handler=_log_uncaught,
    )


_graphql_log = structlog.stdlib.get_logger("coalition.graphql")


def log_graphql_errors(errors: Iterable[GraphQLError], is_unexpected: Callable[[GraphQLError], bool]) -> None:
    """Each error of a GraphQL response, once: an unexpected one (the client
    sees only a masked message) at error level with its traceback and cause;
    a query that failed to parse or validate as a warning; a refusal
    (forbidden, not found, a rule) as info."""
    for error in errors:
        where = ".".join(str(part) for part in error.path) if error.path else None
        if is_unexpected(error):
            _graphql_log.error("graphql unexpected error", path=where, exc_info=error.original_error)
        elif error.original_error is None:
            _graphql_log.warning("graphql query rejected", path=where, message=error.message)
        else:
            code = (error.extensions or {}).get("code")
            _graphql_log.info("graphql request refused", path=where, code=code, message=error.message)
