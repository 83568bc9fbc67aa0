"""Members giving points away: to a charity (which the coalition may match)
or to another member (when the coalition allows transfers), within the
coalition's limits."""

from __future__ import annotations

import uuid

from coalition.platform.errors import DomainError, ErrorCode
from coalition.platform.ledger.repository import Posting
from coalition.platform.ledger.service import LedgerService
from coalition.platform.programme.rules import CoalitionRules, donation_match


async def donate_points(
    ledger: LedgerService,
    rules: CoalitionRules,
    member_id: uuid.UUID,
    *,
    idempotency_key: str,
    charity_id: uuid.UUID,
    points: int,
) -> Posting:
    """The member's points go to the charity, with the coalition's match on top."""
    match = donation_match(rules.donation_matching, max(points, 0))
    return await ledger.donate(
        member_id, idempotency_key=idempotency_key, charity_id=charity_id, points=points, match=match
    )


async def transfer_points(
    ledger: LedgerService,
    rules: CoalitionRules,
    member_id: uuid.UUID,
    *,
    idempotency_key: str,
    to_card: str,
    points: int,
) -> Posting:
    """Points to the member holding ``to_card``; the ledger keeps the daily maximum."""
    transfers = rules.transfers
    if not transfers.enabled:
        raise DomainError(ErrorCode.FORBIDDEN, "this coalition does not allow transfers between members")
    if points > transfers.max_points_per_transfer:
        raise DomainError(
            ErrorCode.LIMIT_EXCEEDED, f"at most {transfers.max_points_per_transfer} points per transfer", ("points",)
        )
    return await ledger.transfer(
        member_id,
        idempotency_key=idempotency_key,
        to_card=to_card,
        points=points,
        max_per_day=transfers.max_points_per_day,
    )
