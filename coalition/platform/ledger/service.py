"""Ledger use cases: validate a posting request, post it, translate the outcome."""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from coalition.platform.errors import DomainError, ErrorCode, validation
from coalition.platform.ledger.repository import Posting, PostingGateway, redeem_within
from coalition.platform.ledger.rules import MAX_POINTS
from coalition.platform.runtime.database import Executor

_KEY = re.compile(r"^[\x21-\x7e]{1,128}$")
_CARD = re.compile(r"^[A-Za-z0-9-]{4,32}$")
_MAX_TEXT = 200

_REFUSALS = {
    "NOT_FOUND": "no such member or transaction",
    "MEMBER_NOT_ELIGIBLE": "this member cannot earn or spend points",
    "MEMBER_BLOCKED": "this member's card is blocked: ask them to contact the coalition",
    "PARTNER_NOT_ACTIVE": "this partner is not active",
    "INSUFFICIENT_POINTS": "not enough available points",
    "IDEMPOTENCY_CONFLICT": "this idempotency key was used for a different request",
    "ALREADY_REVERSED": "that transaction (or that much of it) is already reversed",
    "VALIDATION": "only earn and redeem transactions can be reversed",
    "LIMIT_EXCEEDED": "this would exceed a limit of the coalition",
}


class StaleMemberState(Exception):
    """The member's activity changed between reading it and posting; evaluate again."""


def check_idempotency_key(key: str) -> str:
    if not _KEY.match(key):
        raise validation("idempotencyKey must be 1-128 printable characters without spaces", "idempotencyKey")
    return key


def check_card_number(card: str, *field: str) -> str:
    if not _CARD.match(card):
        raise validation("cardNumber must be 4-32 letters, digits or dashes", *(field or ("cardNumber",)))
    return card


def check_points(points: int, *field: str) -> int:
    if points <= 0:
        raise validation("points must be greater than zero", *(field or ("points",)))
    if points > MAX_POINTS:
        raise validation(f"points must not exceed {MAX_POINTS}", *(field or ("points",)))
    return points


def check_text(value: str | None, name: str) -> str | None:
    if value is not None and len(value) > _MAX_TEXT:
        raise validation(f"{name} must be at most {_MAX_TEXT} characters", name)
    return value


def request_hash(operation: str, payload: dict[str, Any]) -> str:
    """Fingerprint of what was asked, to tell a replay from a reused key."""
    canonical = json.dumps([operation, payload], sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class EarnRequest:
    idempotency_key: str
    card_number: str
    purchase_minor: int
    # Points per funder: a partner's id, or None for the coalition.
    awards: dict[uuid.UUID | None, int]
    explanation: list[str]
    receipt_ref: str | None
    occurred_at: datetime | None
    basket: list[dict[str, Any]] | None
    expected_seq: int | None = None
    effects: dict[str, Any] | None = None


def accepted(posting: Posting, messages: dict[str, str] | None = None) -> Posting:
    """``posting`` if it was made (or replayed); else its refusal, raised."""
    return _accepted(posting, messages)


def _accepted(posting: Posting, messages: dict[str, str] | None = None) -> Posting:
    if posting.outcome in ("POSTED", "REPLAYED"):
        return posting
    if posting.outcome == "STALE":
        raise StaleMemberState
    message = (messages or {}).get(posting.outcome) or _REFUSALS[posting.outcome]
    if posting.outcome == "INSUFFICIENT_POINTS" and posting.available is not None:
        # The refusal carries the wallet's figures already: no second look.
        message = f"{message}: only {_points(posting.available)} available"
    raise DomainError(ErrorCode(posting.outcome), message)


def _points(points: int) -> str:
    return f"{points} point is" if points == 1 else f"{points} points are"


async def redeem_in_session(
    session: Executor,
    partner_id: uuid.UUID,
    key: str,
    fingerprint: str,
    card_number: str,
    points: int,
    receipt_ref: str | None,
) -> Posting:
    """Spends points at ``partner_id`` in the session's transaction (for a
    purchase that must commit together with the redemption)."""
    return _accepted(
        await redeem_within(
            session, partner_id=partner_id, key=key, hash=fingerprint, card=card_number, points=points,
            receipt_ref=receipt_ref,
        )
    )  # fmt: skip


class LedgerService:
    def __init__(self, gateway: PostingGateway) -> None:
        self._gateway = gateway

    async def earn(self, partner_id: uuid.UUID, request: EarnRequest, *, within: Executor | None = None) -> Posting:
        """Posts in one statement; ``within`` a caller's transaction when it
        holds the member's activity (after a race), else on its own."""
        fingerprint = request_hash(
            "earn",
            {
                "card": request.card_number,
                "amount": request.purchase_minor,
                "receipt": request.receipt_ref,
                "occurredAt": request.occurred_at.isoformat() if request.occurred_at else None,
                "basket": request.basket,
            },
        )
        return _accepted(
            await self._gateway.earn(
                within,
                partner_id=partner_id,
                key=request.idempotency_key,
                hash=fingerprint,
                card=request.card_number,
                purchase_minor=request.purchase_minor,
                explanation=request.explanation,
                receipt_ref=request.receipt_ref,
                occurred_at=request.occurred_at,
                awards=[{"funder": str(f) if f else None, "points": p} for f, p in request.awards.items() if p],
                expected_seq=request.expected_seq,
                effects=request.effects,
                basket=request.basket,
            )
        )

    async def redeem(
        self,
        partner_id: uuid.UUID,
        *,
        idempotency_key: str,
        card_number: str,
        points: int,
        receipt_ref: str | None,
    ) -> Posting:
        check_idempotency_key(idempotency_key)
        check_card_number(card_number)
        check_points(points)
        check_text(receipt_ref, "receiptRef")
        fingerprint = request_hash("redeem", {"card": card_number, "points": points, "receipt": receipt_ref})
        return _accepted(
            await self._gateway.redeem(
                partner_id=partner_id,
                key=idempotency_key,
                hash=fingerprint,
                card=card_number,
                points=points,
                receipt_ref=receipt_ref,
            )
        )

    async def reverse(
        self,
        coalition_id: uuid.UUID,
        partner_id: uuid.UUID | None,
        *,
        idempotency_key: str,
        transaction_id: uuid.UUID,
        points: int | None,
        reason: str | None,
    ) -> Posting:
        check_idempotency_key(idempotency_key)
        if points is not None:
            check_points(points)
        check_text(reason, "reason")
        fingerprint = request_hash("reverse", {"transaction": str(transaction_id), "points": points, "reason": reason})
        return _accepted(
            await self._gateway.reverse(
                coalition_id=coalition_id,
                partner_id=partner_id,
                key=idempotency_key,
                hash=fingerprint,
                transaction_id=transaction_id,
                points=points,
                reason=reason,
            )
        )

    async def donate(
        self, member_id: uuid.UUID, *, idempotency_key: str, charity_id: uuid.UUID, points: int, match: int
    ) -> Posting:
        check_idempotency_key(idempotency_key)
        check_points(points)
        fingerprint = request_hash("donate", {"charity": str(charity_id), "points": points})
        return _accepted(
            await self._gateway.donate(
                member_id=member_id, key=idempotency_key, hash=fingerprint, charity_id=charity_id, points=points,
                match=match,
            ),
            {"NOT_FOUND": "no such charity"},
        )  # fmt: skip

    async def transfer(
        self, member_id: uuid.UUID, *, idempotency_key: str, to_card: str, points: int, max_per_day: int
    ) -> Posting:
        check_idempotency_key(idempotency_key)
        check_card_number(to_card, "toCardNumber")
        check_points(points)
        fingerprint = request_hash("transfer", {"to": to_card, "points": points})
        return _accepted(
            await self._gateway.transfer(
                member_id=member_id, key=idempotency_key, hash=fingerprint, to_card=to_card, points=points,
                max_per_day=max_per_day,
            ),
            {
                "NOT_FOUND": "no active member has that card",
                "VALIDATION": "points cannot be transferred to the same member",
                "LIMIT_EXCEEDED": "this transfer would exceed the daily transfer limit",
            },
        )  # fmt: skip


async def expire_due(engine: Any, coalition_id: uuid.UUID, *, batch: int = 500) -> tuple[int, int]:
    """Posts EXPIRE for every member with lots past their expiry, ``batch``
    members per transaction; safe to run twice or concurrently (each member's
    wallet is locked while its lots expire). Returns (members, points)."""
    from sqlalchemy import text

    members = points = 0
    autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
    while True:
        async with autocommit.connect() as connection:
            row = (
                await connection.execute(
                    text("SELECT * FROM ledger_expire_due(:coalition, :batch)"),
                    {"coalition": coalition_id, "batch": batch},
                )
            ).one()
        members, points = members + row.members, points + row.points
        if row.members < batch:
            return members, points
