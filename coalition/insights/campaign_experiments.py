"""An aimed campaign's audience, drawn when it starts, and its experiment
report: the use cases over ``audiences``, ``experiments`` and the repository.
Services never commit; the caller's unit of work does."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from coalition.platform.runtime.database import Executor

from . import repository
from .audiences import audience
from .experiments import MIN_MEMBERS_PER_ARM, ExperimentResult, MemberOutcome, draw_holdout, evaluate, new_holdout_seed


async def draw(connection: Executor, campaign_id: uuid.UUID, now: datetime) -> bool:
    """Draws the audience of a campaign that has started (as of its start) and
    its holdout, once: False when it is not aimed, not started or drawn already."""
    campaign = await repository.aimed_campaign(connection, campaign_id, for_update=True)
    if campaign is None or campaign.drawn_at is not None or campaign.starts_at > now:
        return False
    zone = ZoneInfo(campaign.timezone)
    history = await repository.purchases_before(
        connection, campaign.coalition_id, campaign.partner_id, campaign.starts_at
    )
    members = audience(
        history,
        campaign.partner_id,
        campaign.starts_at.astimezone(zone).date(),
        zone,
        campaign.audience_kind,
        campaign.audience_segment,
    )
    seed, held = None, frozenset[uuid.UUID]()
    if campaign.holdout_share is not None:
        seed = new_holdout_seed()
        held = draw_holdout(members, campaign.holdout_share, seed)
    treatment = [member for member in members if member not in held]
    await repository.store_draw(connection, campaign.id, treatment, sorted(held), seed, now)
    return True


async def draw_due(connection: Executor, now: datetime) -> int:
    """Draws every aimed campaign that has started since the last call; safe to run twice."""
    drawn = 0
    for campaign_id in await repository.due_for_draw(connection, now):
        drawn += await draw(connection, campaign_id, now)
    return drawn


@dataclass(frozen=True)
class ExperimentReport:
    campaign_id: uuid.UUID
    # Purchases are counted from the campaign's start to its end (or now, while it runs).
    measured_from: datetime
    measured_to: datetime
    final: bool
    planned_holdout_share: Decimal
    min_members_per_arm: int
    result: ExperimentResult


async def report(connection: Executor, campaign_id: uuid.UUID, now: datetime) -> ExperimentReport | None:
    """Treatment against holdout over the campaign; None for a campaign with no
    holdout or not drawn yet."""
    campaign = await repository.aimed_campaign(connection, campaign_id)
    if campaign is None or campaign.holdout_share is None or campaign.drawn_at is None:
        return None
    until = min(campaign.ends_at, now)
    rows = await repository.outcomes(connection, campaign, until)
    treatment = [MemberOutcome(r.purchases, r.spend_minor) for r in rows if r.arm == "TREATMENT"]
    holdout = [MemberOutcome(r.purchases, r.spend_minor) for r in rows if r.arm == "HOLDOUT"]
    return ExperimentReport(
        campaign_id=campaign.id,
        measured_from=campaign.starts_at,
        measured_to=until,
        final=now >= campaign.ends_at,
        planned_holdout_share=campaign.holdout_share,
        min_members_per_arm=MIN_MEMBERS_PER_ARM,
        result=evaluate(treatment, holdout, campaign.holdout_share),
    )


@dataclass(frozen=True)
class Draw:
    drawn_at: datetime | None
    treatment: int
    holdout: int


async def drawn(connection: Executor, campaign_id: uuid.UUID) -> Draw:
    campaign = await repository.aimed_campaign(connection, campaign_id)
    if campaign is None or campaign.drawn_at is None:
        return Draw(None, 0, 0)
    sizes = await repository.arm_sizes(connection, campaign_id)
    return Draw(campaign.drawn_at, sizes.get("TREATMENT", 0), sizes.get("HOLDOUT", 0))
