"""Writing notices, and delivering them to the coalition's webhook, signed."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from coalition.platform.notices import repository
from coalition.platform.notices.repository import NoticeRecord
from coalition.platform.runtime.database import Executor

EXPIRING_WITHIN_DAYS = 30
MAX_ATTEMPTS = 10
SIGNATURE_HEADER = "X-Coalition-Signature"
TIMESTAMP_HEADER = "X-Coalition-Timestamp"


async def write_expiring(connection: Executor, coalition_id: uuid.UUID) -> int:
    """'Points expiring within 30 days' for every member concerned; safe to repeat."""
    return await repository.write_expiring(connection, coalition_id, EXPIRING_WITHIN_DAYS)


async def write_partner_left(connection: Executor, partner_id: uuid.UUID, name: str) -> int:
    """Tell every member holding a leaving partner's points that they stay valid."""
    return await repository.write_partner_left(connection, partner_id, name)


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over "<timestamp>.<body>": the receiver recomputes it with the
    shared secret, and rejects old timestamps to stop replays."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def _body(notice: NoticeRecord) -> bytes:
    return json.dumps(
        {
            "id": str(notice.id),
            "kind": notice.kind,
            "coalitionId": str(notice.coalition_id),
            "memberId": str(notice.member_id),
            "payload": notice.payload,
            "createdAt": notice.created_at.isoformat(),
        },
        sort_keys=True,
        separators=(",", ":"),
    ).encode()


@dataclass(frozen=True)
class Delivery:
    sent: int
    failed: int


async def deliver(
    engine: AsyncEngine,
    url: str,
    secret: str,
    *,
    coalition_id: uuid.UUID | None = None,
    http_timeout: float = 10.0,
) -> Delivery:
    """Sends undelivered notices (of one coalition, or all); each is marked
    delivered only after the webhook answered 2xx, in a transaction of its own
    (at least once delivery: a crash between the answer and the commit sends
    that one notice again, so receivers dedupe by id). The run stops at the
    first failure: the receiver is likely down, the rest waits for the next run."""
    sent = failed = 0
    async with httpx.AsyncClient(timeout=http_timeout) as client:
        while not failed:
            async with engine.begin() as connection:
                pending = await repository.undelivered(connection, 1, MAX_ATTEMPTS, coalition_id)
                if not pending:
                    break
                [notice] = pending
                body = _body(notice)
                stamp = str(int(time.time()))
                headers = {
                    "Content-Type": "application/json",
                    SIGNATURE_HEADER: signature(secret, stamp, body),
                    TIMESTAMP_HEADER: stamp,
                }
                try:
                    response = await client.post(url, content=body, headers=headers)
                    ok, error = response.is_success, None if response.is_success else f"HTTP {response.status_code}"
                except httpx.HTTPError as exc:
                    ok, error = False, type(exc).__name__
                await repository.mark(connection, notice.id, delivered=ok, error=error)
                sent, failed = sent + ok, failed + (not ok)
    return Delivery(sent, failed)
