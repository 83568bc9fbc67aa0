"""Queries the till makes: the member as the earn engine sees them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import msgspec
from sqlalchemy import select, text

from coalition.partners.earning.model import MemberState
from coalition.platform.coalitions.tables import coalitions, partners
from coalition.platform.runtime.database import Executor

# ---------- the member, as the earn engine sees them ----------


@dataclass(frozen=True)
class StateRead:
    outcome: str | None
    member_id: uuid.UUID | None
    today: Any
    seq: int
    state: MemberState
    qualifying_points: int = 0
    qualifying_spend: int = 0


async def member_state(connection: Executor, partner_id: uuid.UUID, card_number: str, window_days: int) -> StateRead:
    row = (
        await connection.execute(
            text("SELECT * FROM rules_member_state(:partner, :card, :window)"),
            {"partner": partner_id, "card": card_number, "window": window_days},
        )
    ).one()
    if row.outcome is not None:
        return StateRead(row.outcome, None, None, 0, MemberState())
    return StateRead(
        None,
        row.member_id,
        row.today,
        row.seq,
        MemberState(
            tier=row.tier_code,
            qualifying=0,  # filled in by the caller, who knows the tier basis
            points_today=row.points_today,
            partners_this_week=frozenset(row.partners_week),
            partners_this_month=frozenset(row.partners_month),
            challenges_done=frozenset(row.challenges_done),
            stamps={uuid.UUID(k): int(v) for k, v in msgspec.convert(row.stamps, dict[str, int]).items()},
            birth_date=row.birth_date,
            birthday_bonus_year=row.birthday_bonus_year,
            referrer_id=row.referred_by,
            referral_paid=row.referral_paid,
        ),
        row.qualifying_points,
        row.qualifying_spend,
    )


async def lock_member_activity(connection: Executor, partner_id: uuid.UUID, card_number: str) -> None:
    await connection.execute(
        text(
            "SELECT 1 FROM member_activity a JOIN members m ON m.id = a.member_id"
            " JOIN partners p ON p.coalition_id = m.coalition_id"
            " WHERE p.id = :partner AND m.card_number = :card FOR UPDATE OF a"
        ),
        {"partner": partner_id, "card": card_number},
    )


@dataclass(frozen=True)
class TillPartner:
    coalition_id: uuid.UUID
    currency: str
    timezone: str


async def till_partner(connection: Executor, partner_id: uuid.UUID) -> TillPartner:
    """The partner's coalition, with the currency and time zone its till works in."""
    row = (
        await connection.execute(
            select(partners.c.coalition_id, coalitions.c.currency, coalitions.c.timezone)
            .select_from(partners.join(coalitions, coalitions.c.id == partners.c.coalition_id))
            .where(partners.c.id == partner_id)
        )
    ).one()
    return TillPartner(row.coalition_id, row.currency, row.timezone)


async def treated_cards(connection: Executor, campaign_id: uuid.UUID) -> tuple[bool, frozenset[str]]:
    """Whether an aimed campaign's audience is drawn, and the cards of its treatment arm."""
    row = (
        await connection.execute(
            text(
                "SELECT c.drawn_at IS NOT NULL AS drawn,"
                " coalesce(array_agg(m.card_number) FILTER (WHERE m.id IS NOT NULL), '{}') AS cards"
                " FROM campaigns c"
                " LEFT JOIN campaign_members x ON x.campaign_id = c.id AND x.arm = 'TREATMENT'"
                " LEFT JOIN members m ON m.id = x.member_id"
                " WHERE c.id = :id GROUP BY c.id"
            ),
            {"id": campaign_id},
        )
    ).first()
    return (False, frozenset()) if row is None else (bool(row.drawn), frozenset(row.cards))
