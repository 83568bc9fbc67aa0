"""Group commit for the tills' postings (earns and redemptions): what
arrives while the database is busy goes in together, one transaction for
many tills.

A request that finds a free slot is posted at once, alone: at a quiet hour
nothing waits for company. When ``in_flight`` postings are already on their
way, new requests queue, and the next slot to free up takes up to
``max_batch`` of them to ``ledger_earn_batch`` in one round trip and one
commit. Under load, batches grow by themselves; the fewer, fuller
transactions save the database a commit (and a WAL flush) per posting and
the API a statement per posting.

Each request keeps its own outcome: the database runs every request of a
batch in its own subtransaction and reports it separately (posted, replayed,
refused). A request that fails there (a bug, a deadlock with another
posting) is rolled back alone and posted again on its own here, so its
caller sees exactly what it would have seen without batching. A failure of
the whole batch (the connection drops) fails each waiting request.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

# See 008_group_commit.sql: more than 64 subtransactions in one transaction
# slow every snapshot on the server.
MAX_BATCH = 32

Row = dict[str, Any]
PostAlone = Callable[[dict[str, Any]], Awaitable[Row]]

_BATCH = text("SELECT b.ordinal, (b.result).* FROM ledger_post_batch(CAST(:requests AS jsonb)) AS b")


class GroupCommit:
    def __init__(
        self,
        engine: AsyncEngine,
        post_alone: PostAlone,
        *,
        max_batch: int = MAX_BATCH,
        in_flight: int = 2,
    ) -> None:
        if not 1 <= max_batch <= MAX_BATCH:
            raise ValueError(f"max_batch must be between 1 and {MAX_BATCH}")
        if in_flight < 1:
            raise ValueError("in_flight must be at least 1")
        # Autocommit: the batch is one statement, so one round trip.
        self._engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._post_alone = post_alone
        self._max_batch = max_batch
        self._slots = in_flight
        self._waiting: deque[tuple[dict[str, Any], asyncio.Future[Row]]] = deque()
        self._tasks: set[asyncio.Task[None]] = set()
        self.batches = 0
        self.batched_requests = 0

    async def post(self, params: dict[str, Any]) -> Row:
        """Posts one request: ``kind`` (EARN or REDEEM) and the posting
        function's parameters. Returns its ``ledger_posting`` as a dict."""
        future: asyncio.Future[Row] = asyncio.get_running_loop().create_future()
        self._waiting.append((params, future))
        self._dispatch()
        return await future

    def _dispatch(self) -> None:
        while self._waiting and self._slots > 0:
            count = min(self._max_batch, len(self._waiting))
            batch = [self._waiting.popleft() for _ in range(count)]
            self._slots -= 1
            task = asyncio.create_task(self._flush(batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _flush(self, batch: list[tuple[dict[str, Any], asyncio.Future[Row]]]) -> None:
        try:
            if len(batch) == 1:
                params, future = batch[0]
                await _settle(future, self._post_alone(params))
            else:
                await self._post_together(batch)
        finally:
            self._slots += 1
            self._dispatch()

    async def _post_together(self, batch: list[tuple[dict[str, Any], asyncio.Future[Row]]]) -> None:
        requests = json.dumps([_jsonable(params) for params, _ in batch], default=str)
        try:
            async with self._engine.connect() as connection:
                rows = (await connection.execute(_BATCH, {"requests": requests})).mappings().all()
        except Exception as error:  # noqa: BLE001 - handed to every waiting caller
            for _, future in batch:
                if not future.done():
                    future.set_exception(error)
            return
        self.batches += 1
        self.batched_requests += len(batch)
        retries = []
        for row in rows:
            posting = dict(row)
            params, future = batch[posting.pop("ordinal") - 1]
            if posting["outcome"] == "FAILED":
                retries.append(_settle(future, self._post_alone(params)))
            elif not future.done():
                future.set_result(posting)
        if retries:
            await asyncio.gather(*retries)

    async def aclose(self) -> None:
        """Waits for the postings under way (at shutdown)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)


async def _settle(future: asyncio.Future[Row], posting: Awaitable[Row]) -> None:
    try:
        row = await posting
    except Exception as error:  # noqa: BLE001 - the caller's to handle
        if not future.done():
            future.set_exception(error)
        return
    if not future.done():
        future.set_result(row)


def _jsonable(params: dict[str, Any]) -> dict[str, Any]:
    occurred_at = params.get("occurred_at")
    return {
        **params,
        "partner_id": str(params["partner_id"]),
        "occurred_at": occurred_at.isoformat() if occurred_at is not None else None,
    }
