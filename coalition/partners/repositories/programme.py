"""Queries for a partner's programme: the programme row (earn rules and payout
account), campaigns, challenges and stamp cards."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, select, text, update

from coalition.partners.earning.model import (
    Campaign,
    CampaignKind,
    CategoryRate,
    Challenge,
    ChallengeFunding,
    ChallengePeriod,
    EarnRules,
    StampCard,
    Threshold,
)
from coalition.partners.tables import (
    campaigns,
    challenges,
    partner_programmes,
    stamp_cards,
    stamp_progress,
)
from coalition.platform.runtime.database import Executor


async def insert_programme(connection: Executor, partner_id: uuid.UUID, earn_rate: Decimal, iban: str | None) -> None:
    await connection.execute(
        partner_programmes.insert().values(partner_id=partner_id, earn_rate_per_unit=earn_rate, iban=iban)
    )


async def iban(connection: Executor, partner_id: uuid.UUID) -> str | None:
    found: str | None = await connection.scalar(
        select(partner_programmes.c.iban).where(partner_programmes.c.partner_id == partner_id)
    )
    return found


async def set_iban(connection: Executor, partner_id: uuid.UUID, iban: str | None) -> str | None:
    """Returns the IBAN it replaces."""
    before = await connection.scalar(
        select(partner_programmes.c.iban).where(partner_programmes.c.partner_id == partner_id).with_for_update()
    )
    await connection.execute(
        partner_programmes.update().where(partner_programmes.c.partner_id == partner_id).values(iban=iban)
    )
    return before


def _earn_rules(rate: Decimal, document: dict[str, Any]) -> EarnRules:
    return EarnRules(
        base_rate=rate,
        category_rates=tuple(
            CategoryRate(c["category"], Decimal(c["rate"])) for c in document.get("categoryRates", [])
        ),
        thresholds=tuple(Threshold(Decimal(t["minSpend"]), int(t["points"])) for t in document.get("thresholds", [])),
        max_points_per_transaction=document.get("maxPointsPerTransaction"),
    )


def earn_rules_document(rules: EarnRules) -> dict[str, Any]:
    return {
        "categoryRates": [{"category": c.category, "rate": str(c.rate)} for c in rules.category_rates],
        "thresholds": [{"minSpend": str(t.min_spend), "points": t.points} for t in rules.thresholds],
        "maxPointsPerTransaction": rules.max_points_per_transaction,
    }


async def earn_rules(connection: Executor, partner_id: uuid.UUID, *, for_update: bool = False) -> EarnRules | None:
    query = select(partner_programmes.c.earn_rate_per_unit, partner_programmes.c.rules).where(
        partner_programmes.c.partner_id == partner_id
    )
    row = (await connection.execute(query.with_for_update() if for_update else query)).first()
    return None if row is None else _earn_rules(row.earn_rate_per_unit, row.rules)


async def coalition_earn_rules(connection: Executor, coalition_id: uuid.UUID) -> dict[uuid.UUID, EarnRules]:
    rows = await connection.execute(
        text(
            "SELECT p.id, pp.earn_rate_per_unit, pp.rules FROM partners p"
            " JOIN partner_programmes pp ON pp.partner_id = p.id"
            " WHERE p.coalition_id = :coalition AND p.status <> 'TERMINATED'"
        ),
        {"coalition": coalition_id},
    )
    return {row.id: _earn_rules(row.earn_rate_per_unit, row.rules) for row in rows}


async def save_earn_rules(connection: Executor, partner_id: uuid.UUID, rules: EarnRules) -> None:
    await connection.execute(
        update(partner_programmes)
        .where(partner_programmes.c.partner_id == partner_id)
        .values(earn_rate_per_unit=rules.base_rate, rules=earn_rules_document(rules), updated_at=text("now()"))
    )


# ---------- campaigns and challenges ----------


def _campaign(row: Row[Any]) -> Campaign:
    return Campaign(
        id=row.id,
        name=row.name,
        partner_id=row.partner_id,
        kind=CampaignKind(row.kind),
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        multiplier=row.multiplier,
        bonus_points=row.bonus_points,
        reward_id=row.reward_id,
        categories=tuple(row.categories),
        tiers=tuple(row.tiers),
        min_spend=row.min_spend,
    )


def _campaign_values(campaign: Campaign) -> dict[str, Any]:
    return {
        "partner_id": campaign.partner_id,
        "name": campaign.name,
        "kind": campaign.kind.value,
        "starts_at": campaign.starts_at,
        "ends_at": campaign.ends_at,
        "multiplier": campaign.multiplier,
        "bonus_points": campaign.bonus_points,
        "reward_id": campaign.reward_id,
        "categories": list(campaign.categories),
        "tiers": list(campaign.tiers),
        "min_spend": campaign.min_spend,
    }


async def insert_campaign(connection: Executor, coalition_id: uuid.UUID, campaign: Campaign) -> Campaign:
    row = (
        await connection.execute(
            campaigns.insert().values(coalition_id=coalition_id, **_campaign_values(campaign)).returning(campaigns)
        )
    ).one()
    return _campaign(row)


async def campaign(connection: Executor, campaign_id: uuid.UUID, coalition_id: uuid.UUID) -> Campaign | None:
    row = (
        await connection.execute(
            select(campaigns).where(campaigns.c.id == campaign_id, campaigns.c.coalition_id == coalition_id)
        )
    ).first()
    return None if row is None else _campaign(row)


async def end_campaign(connection: Executor, campaign_id: uuid.UUID, at: datetime) -> None:
    """Ends it now (a campaign that had not started yet ends before it begins)."""
    await connection.execute(
        text(
            "UPDATE campaigns SET starts_at = least(starts_at, CAST(:at AS timestamptz) - interval '1 second'),"
            " ends_at = :at WHERE id = :id"
        ),
        {"at": at, "id": campaign_id},
    )


async def campaign_list(
    connection: Executor, coalition_id: uuid.UUID, *, partner_id: uuid.UUID | None, ending_after: datetime | None
) -> list[Campaign]:
    """A partner's campaigns and the coalition-wide ones (partner_id None: all)."""
    query = select(campaigns).where(campaigns.c.coalition_id == coalition_id)
    if partner_id is not None:
        query = query.where((campaigns.c.partner_id == partner_id) | campaigns.c.partner_id.is_(None))
    if ending_after is not None:
        query = query.where(campaigns.c.ends_at > ending_after)
    return [_campaign(row) for row in await connection.execute(query.order_by(campaigns.c.starts_at, campaigns.c.id))]


def _challenge(row: Row[Any]) -> Challenge:
    return Challenge(
        id=row.id,
        name=row.name,
        distinct_partners=row.distinct_partners,
        period=ChallengePeriod(row.period),
        bonus_points=row.bonus_points,
        funding=ChallengeFunding(row.funding),
        partner_ids=tuple(row.partner_ids),
        starts_at=row.starts_at,
        ends_at=row.ends_at,
    )


async def insert_challenge(connection: Executor, coalition_id: uuid.UUID, challenge: Challenge) -> Challenge:
    row = (
        await connection.execute(
            challenges.insert()
            .values(
                coalition_id=coalition_id,
                name=challenge.name,
                distinct_partners=challenge.distinct_partners,
                period=challenge.period.value,
                bonus_points=challenge.bonus_points,
                funding=challenge.funding.value,
                partner_ids=list(challenge.partner_ids),
                starts_at=challenge.starts_at,
                ends_at=challenge.ends_at,
            )
            .returning(challenges)
        )
    ).one()
    return _challenge(row)


async def challenge_list(
    connection: Executor, coalition_id: uuid.UUID, ending_after: datetime | None
) -> list[Challenge]:
    query = select(challenges).where(challenges.c.coalition_id == coalition_id)
    if ending_after is not None:
        query = query.where(challenges.c.ends_at > ending_after)
    return [_challenge(row) for row in await connection.execute(query.order_by(challenges.c.starts_at))]


async def end_challenge(connection: Executor, challenge_id: uuid.UUID, coalition_id: uuid.UUID, at: datetime) -> bool:
    result = await connection.execute(
        update(challenges)
        .where(challenges.c.id == challenge_id, challenges.c.coalition_id == coalition_id, challenges.c.ends_at > at)
        .values(ends_at=at)
        .returning(challenges.c.id)
    )
    return result.first() is not None


# ---------- stamp cards ----------


@dataclass(frozen=True)
class StampCardRecord:
    card: StampCard
    partner_id: uuid.UUID
    active: bool


def _stamp_card(row: Row[Any]) -> StampCardRecord:
    card = StampCard(
        id=row.id,
        name=row.name,
        stamps_required=row.stamps_required,
        reward_id=row.reward_id,
        categories=tuple(row.categories),
        min_spend=row.min_spend,
    )
    return StampCardRecord(card, row.partner_id, row.active)


async def insert_stamp_card(connection: Executor, partner_id: uuid.UUID, card: StampCard) -> StampCardRecord:
    row = (
        await connection.execute(
            stamp_cards.insert()
            .values(
                partner_id=partner_id,
                name=card.name,
                stamps_required=card.stamps_required,
                reward_id=card.reward_id,
                categories=list(card.categories),
                min_spend=card.min_spend,
            )
            .returning(stamp_cards)
        )
    ).one()
    return _stamp_card(row)


async def stamp_card_list(
    connection: Executor, partner_ids: list[uuid.UUID], active_only: bool
) -> list[StampCardRecord]:
    query = select(stamp_cards).where(stamp_cards.c.partner_id.in_(partner_ids))
    if active_only:
        query = query.where(stamp_cards.c.active)
    return [_stamp_card(row) for row in await connection.execute(query.order_by(stamp_cards.c.created_at))]


async def retire_stamp_card(connection: Executor, card_id: uuid.UUID, partner_id: uuid.UUID) -> bool:
    result = await connection.execute(
        update(stamp_cards)
        .where(stamp_cards.c.id == card_id, stamp_cards.c.partner_id == partner_id, stamp_cards.c.active)
        .values(active=False)
        .returning(stamp_cards.c.id)
    )
    return result.first() is not None


async def member_stamps(connection: Executor, member_ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[uuid.UUID, int]]:
    rows = await connection.execute(
        select(stamp_progress.c.member_id, stamp_progress.c.card_id, stamp_progress.c.stamps).where(
            stamp_progress.c.member_id.in_(member_ids)
        )
    )
    found: dict[uuid.UUID, dict[uuid.UUID, int]] = {m: {} for m in member_ids}
    for row in rows:
        found[row.member_id][row.card_id] = row.stamps
    return found


async def coalition_stamp_cards(connection: Executor, coalition_id: uuid.UUID) -> list[StampCardRecord]:
    rows = await connection.execute(
        text(
            "SELECT sc.* FROM stamp_cards sc JOIN partners p ON p.id = sc.partner_id"
            " WHERE p.coalition_id = :coalition AND sc.active ORDER BY sc.created_at"
        ),
        {"coalition": coalition_id},
    )
    return [_stamp_card(row) for row in rows]
