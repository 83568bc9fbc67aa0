"""The operator's member support: blocking and unblocking a member, and
adjusting their points with a reason. Every change is audited; services
never commit (the caller's unit of work does)."""

from __future__ import annotations

import uuid

from coalition.platform.audit.service import record_change
from coalition.platform.auth.service import Principal
from coalition.platform.errors import DomainError, ErrorCode, validation
from coalition.platform.ledger import repository as ledger_repository
from coalition.platform.ledger.repository import Posting
from coalition.platform.ledger.rules import MAX_POINTS
from coalition.platform.ledger.service import accepted, check_idempotency_key, request_hash
from coalition.platform.members import repository
from coalition.platform.members.repository import MemberRecord
from coalition.platform.runtime.database import AsyncSession

MAX_REASON = 200


def checked_reason(reason: str) -> str:
    reason = reason.strip()
    if not 1 <= len(reason) <= MAX_REASON:
        raise validation(f"a reason of 1 to {MAX_REASON} characters is needed", "reason")
    return reason


def checked_adjustment(points: int) -> int:
    if points == 0 or abs(points) > MAX_POINTS:
        raise validation(f"points must be a whole number from -{MAX_POINTS} to {MAX_POINTS}, not 0", "points")
    return points


async def _member(session: AsyncSession, by: Principal, member_id: uuid.UUID) -> MemberRecord:
    member = await repository.member_for_update(session, member_id)
    if member is None or member.coalition_id != by.coalition_id or member.status == "ERASED":
        raise DomainError(ErrorCode.NOT_FOUND, "no such member", ("id",))
    return member


async def set_blocked(
    session: AsyncSession, by: Principal, member_id: uuid.UUID, *, blocked: bool, reason: str | None
) -> MemberRecord:
    """Block (tills refuse the card with MEMBER_BLOCKED) or unblock a member.
    Blocking needs a reason; doing what is already done changes nothing.
    Once this commits the caller ends a blocked member's wallet sessions."""
    why = checked_reason(reason or "") if blocked else (reason or "").strip() or None
    member = await _member(session, by, member_id)
    status = "BLOCKED" if blocked else "ACTIVE"
    if member.status == status:
        return member
    await repository.set_status(session, member_id, status)
    await record_change(
        session, by, "member.block" if blocked else "member.unblock", member_id,
        before={"status": member.status}, after={"status": status, "reason": why},
    )  # fmt: skip
    found = await repository.member_for_update(session, member_id)
    assert found is not None
    return found


async def adjust(
    session: AsyncSession, by: Principal, member_id: uuid.UUID, *, idempotency_key: str, points: int, reason: str
) -> Posting:
    """Add (points > 0) or take away points, through the coalition's
    ADJUSTMENTS account; the same key and request again answers the same."""
    check_idempotency_key(idempotency_key)
    checked_adjustment(points)
    why = checked_reason(reason)
    fingerprint = request_hash("adjust", {"member": str(member_id), "points": points, "reason": why})
    posting = accepted(
        await ledger_repository.adjust_within(
            session, coalition_id=by.coalition_id, member_id=member_id, key=idempotency_key, hash=fingerprint,
            points=points, reason=why,
        ),
        {"NOT_FOUND": "no such member"},
    )  # fmt: skip
    if posting.outcome == "POSTED":
        await record_change(
            session, by, "member.adjust", member_id,
            after={"points": points, "reason": why, "transactionId": str(posting.transaction_id)},
        )  # fmt: skip
    return posting
