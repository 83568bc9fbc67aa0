"""Giving points away through the services, as any entry point does."""

from __future__ import annotations

import uuid

import pytest

from coalition.platform.errors import DomainError, ErrorCode
from coalition.platform.ledger.repository import wallet_figures
from coalition.platform.programme import service as programme
from coalition.platform.programme.giving import donate_points, transfer_points
from coalition.platform.programme.rules import CoalitionRules, DonationMatching, Transfers


async def _two_members_one_with_points(town) -> tuple[uuid.UUID, str]:
    shop, _ = await town.partner()
    giver, giver_card = await town.member(shop)
    _, receiver_card = await town.member(shop)
    await town.earn(shop, giver_card, "300.00")
    return giver, receiver_card


async def _balance(town, member_id: uuid.UUID) -> int:
    async with town.engine.connect() as connection:
        return (await wallet_figures(connection, [member_id]))[member_id][0]


async def test_transfers_are_refused_when_the_coalition_has_them_off(town) -> None:
    giver, receiver_card = await _two_members_one_with_points(town)
    rules = CoalitionRules(transfers=Transfers(enabled=False))
    with pytest.raises(DomainError) as refused:
        await transfer_points(
            town.ledger, rules, giver, idempotency_key=uuid.uuid4().hex, to_card=receiver_card, points=10
        )
    assert refused.value.code is ErrorCode.FORBIDDEN
    assert await _balance(town, giver) == 300


async def test_a_transfer_above_the_per_transfer_maximum_is_refused_on_points(town) -> None:
    giver, receiver_card = await _two_members_one_with_points(town)
    rules = CoalitionRules(transfers=Transfers(enabled=True, max_points_per_transfer=50, max_points_per_day=1000))
    with pytest.raises(DomainError) as refused:
        await transfer_points(
            town.ledger, rules, giver, idempotency_key=uuid.uuid4().hex, to_card=receiver_card, points=51
        )
    assert (refused.value.code, refused.value.field) == (ErrorCode.LIMIT_EXCEEDED, ("points",))
    assert "at most 50 points per transfer" in refused.value.message
    assert await _balance(town, giver) == 300


async def test_the_daily_maximum_goes_to_the_ledger(town) -> None:
    giver, receiver_card = await _two_members_one_with_points(town)
    rules = CoalitionRules(transfers=Transfers(enabled=True, max_points_per_transfer=50, max_points_per_day=80))
    await transfer_points(town.ledger, rules, giver, idempotency_key=uuid.uuid4().hex, to_card=receiver_card, points=50)
    assert await _balance(town, giver) == 250
    with pytest.raises(DomainError) as refused:
        await transfer_points(
            town.ledger, rules, giver, idempotency_key=uuid.uuid4().hex, to_card=receiver_card, points=50
        )
    assert refused.value.code is ErrorCode.LIMIT_EXCEEDED
    assert "daily transfer limit" in refused.value.message
    assert await _balance(town, giver) == 250


async def test_a_donation_is_matched_by_the_coalition_up_to_its_cap(town) -> None:
    giver, _ = await _two_members_one_with_points(town)
    async with town.sessions.begin() as session:
        charity = await programme.create_charity(session, town.operator, "Food bank", None)
    rules = CoalitionRules(donation_matching=DonationMatching(percent=50, max_points_per_donation=15))
    small = await donate_points(
        town.ledger, rules, giver, idempotency_key=uuid.uuid4().hex, charity_id=charity.id, points=20
    )
    assert small.explanation == ["Donated 20 points", "Matched by the coalition: +10"]
    capped = await donate_points(
        town.ledger, rules, giver, idempotency_key=uuid.uuid4().hex, charity_id=charity.id, points=100
    )
    assert capped.explanation == ["Donated 100 points", "Matched by the coalition: +15"]
    assert await _balance(town, giver) == 180  # the match is the coalition's, not the member's
