"""Creating coalitions; partner identity and its lifecycle."""

from __future__ import annotations

import re
import uuid
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlalchemy.ext.asyncio import AsyncEngine

from coalition.platform.auth import service as auth
from coalition.platform.auth.tokens import CredentialKind
from coalition.platform.coalitions import repository
from coalition.platform.coalitions.repository import CoalitionRecord, PartnerRecord
from coalition.platform.errors import DomainError, ErrorCode, validation
from coalition.platform.money import exponent, is_currency
from coalition.platform.runtime.caching import Remembered
from coalition.platform.runtime.database import Executor

_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")

# Which status a partner may move to from which.
_TRANSITIONS = {
    "ACTIVE": {"INVITED", "SUSPENDED"},
    "SUSPENDED": {"ACTIVE", "INVITED"},
    "TERMINATED": {"INVITED", "ACTIVE", "SUSPENDED"},  # for good: see settlement's partner exit
}


def check_coalition_settings(
    *,
    slug: str,
    currency: str,
    point_value: str,
    timezone: str,
    pending_days: int,
    expiry_months: int | None,
) -> Decimal:
    if not _SLUG.match(slug):
        raise validation("slug must be lowercase letters, digits and dashes", "slug")
    if not is_currency(currency):
        raise validation(f"unknown ISO 4217 currency: {currency}", "currency")
    try:
        value = Decimal(point_value)
    except InvalidOperation as exc:
        raise validation("point value is not a number", "pointValue") from exc
    if not value.is_finite() or value <= 0 or value > 1000:
        raise validation("point value must be greater than 0 and at most 1000", "pointValue")
    if value.as_tuple().exponent < -6:  # type: ignore[operator]
        raise validation("point value has more than 6 decimals", "pointValue")
    try:
        if timezone not in available_timezones():
            raise ZoneInfoNotFoundError(timezone)
        ZoneInfo(timezone)
    except ZoneInfoNotFoundError as exc:
        raise validation(f"unknown time zone: {timezone}", "timezone") from exc
    if not 0 <= pending_days <= 365:
        raise validation("pending days must be between 0 and 365", "pendingDays")
    if expiry_months is not None and not 1 <= expiry_months <= 240:
        raise validation("expiry months must be between 1 and 240", "expiryMonths")
    exponent(currency)
    return value


async def create_coalition(
    connection: Executor,
    *,
    slug: str,
    name: str,
    currency: str,
    point_value: str,
    timezone: str,
    points_name: str | None = None,
    pending_days: int = 0,
    expiry_months: int | None = 24,
) -> tuple[CoalitionRecord, str]:
    """The coalition, its house accounts and a first operator token."""
    value = check_coalition_settings(
        slug=slug, currency=currency, point_value=point_value, timezone=timezone,
        pending_days=pending_days, expiry_months=expiry_months,
    )  # fmt: skip
    if await repository.coalition_by_slug(connection, slug) is not None:
        raise DomainError(ErrorCode.CONFLICT, f"the slug {slug!r} is taken by another coalition", ("slug",))
    record = await repository.insert_coalition(
        connection,
        slug=slug,
        name=name,
        points_name=points_name or "points",
        currency=currency,
        point_value=value,
        timezone=timezone,
        pending_days=pending_days,
        expiry_months=expiry_months,
    )
    _, token = await auth.issue(connection, coalition_id=record.id, kind=CredentialKind.OPERATOR)
    return record, token


async def change_partner_status(
    connection: Executor,
    coalition_id: uuid.UUID,
    partner_id: uuid.UUID,
    status: str,
    reason: str | None,
) -> tuple[PartnerRecord, PartnerRecord]:
    """Returns (before, after)."""
    before = await repository.partner_for_update(connection, partner_id, coalition_id)
    if before is None:
        raise DomainError(ErrorCode.NOT_FOUND, "no such partner", ("id",))
    if before.status == status:
        return before, before
    if before.status not in _TRANSITIONS.get(status, set()):
        raise DomainError(ErrorCode.CONFLICT, f"a {before.status.lower()} partner cannot become {status.lower()}")
    after = await repository.set_partner_status(connection, partner_id, status, reason)
    return before, after


class CoalitionDirectory:
    """Coalition settings kept in memory (they change rarely), so answering a
    posting needs no lookup of its currency; reloaded after ``ttl`` seconds."""

    def __init__(self, engine: AsyncEngine, ttl: float = 30.0) -> None:
        self._engine = engine
        self._coalitions: Remembered[uuid.UUID, CoalitionRecord] = Remembered(self._load, ttl=ttl, maxsize=1_000)

    async def get(self, coalition_id: uuid.UUID) -> CoalitionRecord:
        return await self._coalitions.get(coalition_id)

    async def _load(self, coalition_id: uuid.UUID) -> CoalitionRecord:
        async with self._engine.connect() as connection:
            found = await repository.coalition_by_id(connection, coalition_id)
        if found is None:
            raise DomainError(ErrorCode.NOT_FOUND, "no such coalition")
        return found
