"""The ``/graphql`` endpoint: strawberry's Litestar view, with the request's
context built by the handler itself.

strawberry's controller gets its context, root value and sub-response from
Litestar dependency injection. Those three are independent, so Litestar
resolves them concurrently in an anyio task group, and the sub-response
getter runs in a worker thread: three tasks and a thread hop on every
request, a fifth of a till request's time in the API. Here the POST handler
builds them in line. The sub-response is kept on the request rather than on
the controller (shared by all requests), so concurrent requests cannot see
each other's headers.

Only POST is served: a GET (with or without a query) answers 405 with
``Allow: POST``, since tills and apps post, and a GET query would bypass
nothing but would put members' data in URLs and proxies' logs. A body that
is JSON but not one object (a string, a number, null, or a list: batching
is off) answers 400 with a clear message, logged at info.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from cross_web import HTTPException
from litestar import MediaType, Request, Response, get, post
from litestar.background_tasks import BackgroundTasks
from litestar.status_codes import HTTP_200_OK, HTTP_405_METHOD_NOT_ALLOWED
from strawberry import Schema
from strawberry.litestar import BaseContext, make_graphql_controller

PATH = "/graphql"

NOT_AN_OBJECT = 'The request body must be one JSON object: {"query": ..., "variables": {...}}.'

_log = structlog.stdlib.get_logger("coalition.graphql")

ContextGetter = Callable[[Request[Any, Any, Any]], Awaitable[BaseContext]]


def graphql_controller(schema: Schema, context_getter: ContextGetter, *, concurrency: int) -> type:
    """A Litestar controller serving ``schema`` over POST at ``/graphql``;
    ``context_getter`` authenticates the request and builds its context."""
    turns = asyncio.Semaphore(concurrency)
    base = make_graphql_controller(
        schema,
        path=PATH,
        graphql_ide=None,  # the bundled IDE loads from a CDN
        allow_queries_via_get=False,
    )

    class GraphQLEndpoint(base):  # type: ignore[misc,valid-type]
        include_in_schema = False

        @post(status_code=HTTP_200_OK)
        async def handle_http_post(self, request: Request[Any, Any, Any]) -> Response[Any]:
            sub_response: Response[Any] = Response({}, background=BackgroundTasks([]))
            request.state.graphql_sub_response = sub_response
            async with turns:
                context = await context_getter(request)
                context.request = request
                context.response = sub_response
                return await self.execute_request(request=request, context=context, root_value=None)  # type: ignore[no-any-return]

        @get(include_in_schema=False, sync_to_thread=False)
        def handle_http_get(self) -> Response[str]:
            return Response(
                "GraphQL is served over POST only.",
                status_code=HTTP_405_METHOD_NOT_ALLOWED,
                media_type=MediaType.TEXT,
                headers={"Allow": "POST"},
            )

        def decode_json(self, data: str | bytes) -> object:
            decoded = super().decode_json(data)
            if not isinstance(decoded, dict):
                _log.info("graphql request refused", reason="body is not a JSON object", kind=type(decoded).__name__)
                raise HTTPException(400, NOT_AN_OBJECT)
            return decoded

        async def get_sub_response(self, request: Request[Any, Any, Any]) -> Response[Any]:
            return request.state.graphql_sub_response  # type: ignore[no-any-return]

    return GraphQLEndpoint
