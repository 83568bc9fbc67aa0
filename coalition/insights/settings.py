"""A shop's settings for insights: the kind of shop others' reports call it
by, whether they may name it instead, and its margin (for the programme's ROI)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from coalition.platform.audit.service import record_change
from coalition.platform.auth.service import Principal
from coalition.platform.coalitions import repository as coalitions
from coalition.platform.coalitions.repository import PartnerRecord
from coalition.platform.errors import DomainError, ErrorCode, validation
from coalition.platform.runtime.database import AsyncSession

MAX_KIND_LENGTH = 40
MARGIN_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class InsightSettings:
    kind: str | None
    named_in_insights: bool
    margin: Decimal | None


def checked_settings(kind: str | None, named_in_insights: bool, margin: Decimal | None) -> InsightSettings:
    """The settings as stored, or a VALIDATION error naming the field: a kind of
    1-40 characters (surrounding spaces dropped, blank means none), a margin
    from 0 to 1 with at most four decimals."""
    if kind is not None:
        kind = kind.strip() or None
        if kind is not None and len(kind) > MAX_KIND_LENGTH:
            raise validation(f"kind must be at most {MAX_KIND_LENGTH} characters", "kind")
    if margin is not None:
        try:
            finite = margin.is_finite()
            exact = finite and margin.quantize(MARGIN_PLACES) == margin
        except InvalidOperation:
            exact = False
        if not finite or not 0 <= margin <= 1:
            raise validation("margin must be a fraction between 0 and 1 (0.30 for 30%)", "margin")
        if not exact:
            raise validation("margin may have at most four decimals", "margin")
    return InsightSettings(kind, named_in_insights, margin)


async def set_insight_settings(
    session: AsyncSession, principal: Principal, partner_id: uuid.UUID, settings: InsightSettings
) -> PartnerRecord:
    """Stores the shop's settings and audits what changed."""
    before = await coalitions.partner_for_update(session, partner_id, principal.coalition_id)
    if before is None:
        raise DomainError(ErrorCode.NOT_FOUND, "no such partner", ("partnerId",))
    after = await coalitions.set_partner_insight_settings(
        session, partner_id, settings.kind, settings.named_in_insights, settings.margin
    )
    old, new = _audited(before), _audited(after)
    if old != new:
        await record_change(session, principal, "partner.insight_settings", partner_id, before=old, after=new)
    return after


def _audited(record: PartnerRecord) -> dict[str, object]:
    return {
        "kind": record.kind,
        "namedInInsights": record.named_in_insights,
        "margin": None if record.margin is None else str(record.margin),
    }
