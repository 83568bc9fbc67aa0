"""The operator's coalition-wide programme: rules, invites, charities, and
the daily tier review."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from coalition.platform.audit.service import record_change
from coalition.platform.auth.service import Principal
from coalition.platform.errors import DomainError, ErrorCode, validation
from coalition.platform.members.rules import new_invite_code
from coalition.platform.programme import repository
from coalition.platform.programme.repository import CharityRecord
from coalition.platform.programme.rules import CoalitionRules, check_coalition_rules, tier_after_review
from coalition.platform.runtime.caching import Remembered
from coalition.platform.runtime.database import AsyncSession, Executor


async def replace_rules(
    session: AsyncSession, principal: Principal, rules: CoalitionRules
) -> tuple[CoalitionRules, CoalitionRules]:
    """Saves the coalition's rules (audited); returns (before, after). The
    caller checks that every partner still keeps to the new limits."""
    check_coalition_rules(rules)
    before = await repository.load_rules_for_update(session, principal.coalition_id)
    await repository.save_rules(session, principal.coalition_id, rules)
    await record_change(
        session,
        principal,
        "coalition.rules.save",
        principal.coalition_id,
        before=repository.rules_to_document(before),
        after=repository.rules_to_document(rules),
    )
    return before, rules


async def current_rules(connection: Executor, coalition_id: uuid.UUID, *, for_update: bool = False) -> CoalitionRules:
    """``for_update``: held until the transaction ends, for a change made from them."""
    if for_update:
        return await repository.load_rules_for_update(connection, coalition_id)
    return await repository.load_rules(connection, coalition_id)


async def create_invite(
    session: AsyncSession, principal: Principal, *, max_uses: int, expires_at: datetime | None, label: str | None
) -> str:
    if not 1 <= max_uses <= 100_000:
        raise validation("maxUses must be between 1 and 100000", "maxUses")
    if expires_at is not None and (expires_at.tzinfo is None or expires_at <= datetime.now(UTC)):
        raise validation("expiresAt must be a future time with an offset", "expiresAt")
    if label is not None and len(label) > 200:
        raise validation("label must be at most 200 characters", "label")
    code = new_invite_code()
    invite_id = await repository.insert_invite(
        session, coalition_id=principal.coalition_id, code=code, max_uses=max_uses, expires_at=expires_at, label=label
    )
    await record_change(
        session,
        principal,
        "invite.create",
        invite_id,
        after={"code": code, "maxUses": max_uses, "expiresAt": expires_at.isoformat() if expires_at else None},
    )
    return code


def _charity_text(name: str, description: str | None) -> tuple[str, str | None]:
    name = name.strip()
    if not 1 <= len(name) <= 120:
        raise validation("name must be 1-120 characters", "name")
    if description is not None and len(description) > 1000:
        raise validation("description must be at most 1000 characters", "description")
    return name, description


def _charity_snapshot(charity: CharityRecord) -> dict[str, Any]:
    return {"name": charity.name, "description": charity.description, "active": charity.active}


async def create_charity(
    session: AsyncSession, principal: Principal, name: str, description: str | None
) -> CharityRecord:
    name, description = _charity_text(name, description)
    charity = await repository.insert_charity(session, principal.coalition_id, name, description)
    await record_change(session, principal, "charity.create", charity.id, after=_charity_snapshot(charity))
    return charity


async def update_charity(
    session: AsyncSession,
    principal: Principal,
    charity_id: uuid.UUID,
    *,
    name: str,
    description: str | None,
    active: bool,
) -> CharityRecord:
    name, description = _charity_text(name, description)
    before = next(
        (c for c in await repository.charity_list(session, principal.coalition_id, False) if c.id == charity_id), None
    )
    if before is None:
        raise DomainError(ErrorCode.NOT_FOUND, "no such charity", ("id",))
    after = await repository.update_charity(
        session, charity_id, principal.coalition_id, name=name, description=description, active=active
    )
    assert after is not None
    await record_change(
        session,
        principal,
        "charity.update",
        charity_id,
        before=_charity_snapshot(before),
        after=_charity_snapshot(after),
    )
    return after


async def review_tiers(session: AsyncSession, coalition_id: uuid.UUID, today: date, *, batch: int = 1000) -> int:
    """The daily tier review: moves every member to the tier their window
    earns them, keeping the retention rule. Safe to run twice. Returns the
    number of members whose tier changed."""
    rules = await repository.load_rules(session, coalition_id)
    policy = rules.tiers
    if not policy.tiers:
        return 0
    window_start = today - timedelta(days=policy.window_days)
    changed = 0
    after: uuid.UUID | None = None
    while True:
        page = await repository.coalition_activities(session, coalition_id, window_start, after, batch)
        if not page:
            return changed
        for activity in page:
            qualifying = activity.points if policy.basis == "POINTS" else activity.spend_minor
            tier = tier_after_review(policy, activity.tier_code, activity.tier_since, qualifying, today)
            code = tier.code if tier else None
            if code != activity.tier_code:
                await repository.set_tier(session, activity.member_id, code, today)
                changed += 1
        after = page[-1].member_id


class CoalitionRulesCache:
    """Coalition rules kept in memory for answering reads (tier standings,
    terms); forgotten when any process saves rules."""

    def __init__(self, engine: AsyncEngine, ttl: float = 30.0) -> None:
        self._engine = engine
        self._rules: Remembered[uuid.UUID, CoalitionRules] = Remembered(self._load, ttl=ttl, maxsize=1_000)

    async def get(self, coalition_id: uuid.UUID) -> CoalitionRules:
        return await self._rules.get(coalition_id)

    def forget_all(self) -> None:
        self._rules.forget_all()

    async def _load(self, coalition_id: uuid.UUID) -> CoalitionRules:
        async with self._engine.connect() as connection:
            return await repository.load_rules(connection, coalition_id)
