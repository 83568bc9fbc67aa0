"""The rewards catalogue, rewards bought with points, and the coupons they
issue, burnt at the till."""

from __future__ import annotations

import io
import secrets
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import msgspec
import segno

from coalition.partners.lifecycle import check_name, partner_in_coalition
from coalition.partners.repositories import rewards as repository
from coalition.partners.repositories.rewards import CouponRecord, RewardRecord
from coalition.platform.audit.service import record_change
from coalition.platform.auth.service import Principal
from coalition.platform.coalitions import repository as coalitions
from coalition.platform.errors import DomainError, ErrorCode, validation
from coalition.platform.ledger.repository import Posting
from coalition.platform.ledger.service import (
    check_idempotency_key,
    check_text,
    redeem_in_session,
    request_hash,
)
from coalition.platform.members.repository import MemberRecord
from coalition.platform.money import parse_purchase_amount
from coalition.platform.runtime.database import AsyncSession

_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_coupon_code() -> str:
    """12 characters (60 bits) in groups of four, e.g. CPN-7KQX-M2RD-W9TB:
    unguessable, and easy to read aloud or type at a till."""
    body = "".join(secrets.choice(_ALPHABET) for _ in range(12))
    return f"CPN-{body[:4]}-{body[4:8]}-{body[8:]}"


def normalise_coupon_code(code: str) -> str:
    compact = code.strip().upper().replace(" ", "").replace("-", "")
    if compact.startswith("CPN"):
        compact = compact[3:]
    if len(compact) != 12 or any(c not in _ALPHABET for c in compact):
        return code.strip().upper()
    return f"CPN-{compact[:4]}-{compact[4:8]}-{compact[8:]}"


def coupon_qr_svg(code: str) -> str:
    """The code as an inline SVG QR code, for the wallet app and receipts."""
    buffer = io.BytesIO()
    segno.make(code, error="m").save(buffer, kind="svg", scale=4, border=2, xmldecl=False, svgns=True)
    return buffer.getvalue().decode()


def scalable_qr_svg(text: str) -> str:
    """``text`` as an inline SVG QR code with a viewBox and no fixed size: the page sizes it (the wallet's card)."""
    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="svg", border=2, xmldecl=False, svgns=True, omitsize=True)
    return buffer.getvalue().decode()


async def reward_for(
    session: AsyncSession, principal: Principal, reward_id: uuid.UUID, partner_id: uuid.UUID | None
) -> RewardRecord:
    """A reward of ``partner_id`` (or, for the coalition's own campaigns, of any partner)."""
    found = await repository.rewards_by_ids(session, [reward_id])
    if not found:
        raise DomainError(ErrorCode.NOT_FOUND, "no such reward", ("rewardId",))
    reward = found[0]
    owner = await coalitions.partners_by_ids(session, [reward.partner_id])
    if not owner or owner[0].coalition_id != principal.coalition_id:
        raise DomainError(ErrorCode.NOT_FOUND, "no such reward", ("rewardId",))
    if partner_id is not None and reward.partner_id != partner_id:
        raise DomainError(ErrorCode.FORBIDDEN, "the reward belongs to another partner", ("rewardId",))
    return reward


REWARD_KINDS = ("FREE_PRODUCT", "FIXED_DISCOUNT", "PERCENT_DISCOUNT")


@dataclass(frozen=True)
class RewardSpec:
    name: str
    kind: str
    points_cost: int | None
    value: Decimal | None
    valid_days: int
    active: bool = True


def _check_reward(spec: RewardSpec, currency: str) -> RewardSpec:
    check_name(spec.name)
    if spec.kind not in REWARD_KINDS:
        raise validation(f"kind must be one of {', '.join(REWARD_KINDS)}", "kind")
    if spec.points_cost is not None and not 1 <= spec.points_cost <= 10_000_000:
        raise validation("pointsCost must be between 1 and 10000000", "pointsCost")
    if spec.kind == "FREE_PRODUCT" and spec.value is not None:
        raise validation("a free product has no value", "value")
    if spec.kind == "FIXED_DISCOUNT":
        if spec.value is None or spec.value <= 0:
            raise validation("a fixed discount needs a positive value", "value")
        parse_purchase_amount(spec.value, currency, "value")
    if spec.kind == "PERCENT_DISCOUNT" and (spec.value is None or not Decimal(1) <= spec.value <= Decimal(100)):
        raise validation("a percentage discount needs a value between 1 and 100", "value")
    if not 1 <= spec.valid_days <= 3650:
        raise validation("validDays must be between 1 and 3650", "validDays")
    return spec


async def _reward_columns(session: AsyncSession, coalition_id: uuid.UUID, spec: RewardSpec) -> dict[str, Any]:
    """The reward's columns from ``spec``, once it passes the checks in the coalition's currency."""
    coalition = await coalitions.coalition_by_id(session, coalition_id)
    assert coalition is not None
    _check_reward(spec, coalition.currency)
    return {**asdict(spec), "name": spec.name.strip()}


def _reward_snapshot(reward: RewardRecord) -> dict[str, Any]:
    snapshot: dict[str, Any] = msgspec.to_builtins(reward)
    return snapshot


async def create_reward(
    session: AsyncSession, principal: Principal, partner_id: uuid.UUID, spec: RewardSpec
) -> RewardRecord:
    await partner_in_coalition(session, principal, partner_id)
    columns = await _reward_columns(session, principal.coalition_id, spec)
    reward = await repository.insert_reward(session, partner_id=partner_id, **columns)
    await record_change(session, principal, "reward.create", reward.id, after=_reward_snapshot(reward))
    return reward


async def update_reward(
    session: AsyncSession, principal: Principal, reward_id: uuid.UUID, spec: RewardSpec
) -> RewardRecord:
    before = await reward_for(session, principal, reward_id, principal.partner_id)
    after = await repository.update_reward(
        session, reward_id, **await _reward_columns(session, principal.coalition_id, spec)
    )
    assert after is not None
    await record_change(
        session,
        principal,
        "reward.update",
        reward_id,
        before=_reward_snapshot(before),
        after=_reward_snapshot(after),
    )
    return after


# ---------- rewards bought with points, coupons burnt at the till ----------


async def buy_reward(
    session: AsyncSession, member: MemberRecord, reward_id: uuid.UUID, idempotency_key: str
) -> tuple[Posting, CouponRecord]:
    """A member spends points on a partner's reward: a REDEEM at that partner
    and a single-use coupon, in one transaction. A repeat of the same key
    returns the same coupon."""
    check_idempotency_key(idempotency_key)
    found = await repository.rewards_by_ids(session, [reward_id])
    reward = found[0] if found else None
    partner = (await coalitions.partners_by_ids(session, [reward.partner_id]))[0] if reward else None
    if reward is None or partner is None or partner.coalition_id != member.coalition_id:
        raise DomainError(ErrorCode.NOT_FOUND, "no such reward", ("rewardId",))
    if not reward.active or reward.points_cost is None:
        raise DomainError(ErrorCode.CONFLICT, "this reward cannot be bought with points", ("rewardId",))
    key = f"member:{member.id}:{idempotency_key}"
    fingerprint = request_hash("buyReward", {"reward": str(reward_id)})
    posting = await redeem_in_session(
        session, reward.partner_id, key, fingerprint, member.card_number, reward.points_cost, f"reward:{reward_id}"
    )
    assert posting.transaction_id is not None
    if posting.outcome == "REPLAYED":
        coupons = await repository.coupons_of_transaction(session, posting.transaction_id)
        return posting, coupons[0]
    coupon = await repository.insert_coupon(
        session,
        coalition_id=member.coalition_id,
        member_id=member.id,
        partner_id=reward.partner_id,
        reward_id=reward.id,
        code=new_coupon_code(),
        source="PURCHASE",
        expires_at=datetime.now(UTC) + timedelta(days=reward.valid_days),
        transaction_id=posting.transaction_id,
    )
    return posting, coupon


async def use_coupon(
    session: AsyncSession, principal: Principal, code: str, receipt_ref: str | None
) -> tuple[CouponRecord, RewardRecord]:
    """The till checks and burns a coupon: once, at the partner it is for, before it expires."""
    check_text(receipt_ref, "receiptRef")
    coupon = await repository.coupon_for_update(session, principal.coalition_id, normalise_coupon_code(code))
    if coupon is None:
        raise DomainError(ErrorCode.NOT_FOUND, "no such coupon", ("code",))
    if coupon.partner_id != principal.partner_id:
        raise DomainError(ErrorCode.FORBIDDEN, "this coupon is for another partner", ("code",))
    if coupon.status == "USED":
        assert coupon.used_at is not None
        raise DomainError(
            ErrorCode.CONFLICT, f"this coupon was already used on {coupon.used_at:%Y-%m-%d %H:%M} UTC", ("code",)
        )
    if coupon.expires_at <= datetime.now(UTC):
        raise DomainError(ErrorCode.CONFLICT, "this coupon has expired", ("code",))
    used = await repository.use_coupon(session, coupon.id, receipt_ref)
    reward = (await repository.rewards_by_ids(session, [coupon.reward_id]))[0]
    return used, reward
