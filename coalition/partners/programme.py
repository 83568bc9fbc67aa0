"""Programme administration: a partner's earn rules, campaigns, challenges
and stamp cards, and the coalition-wide rules. MANAGER keys manage their own
shop, the operator every shop."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import msgspec

from coalition.partners.earning.checks import check_campaign, check_challenge, check_earn_rules, check_stamp_card
from coalition.partners.earning.model import Campaign, Challenge, EarnRules, StampCard
from coalition.partners.lifecycle import partner_in_coalition
from coalition.partners.repositories import programme as repository
from coalition.partners.repositories.programme import StampCardRecord
from coalition.partners.rewards import reward_for
from coalition.platform.audit.service import record_change
from coalition.platform.auth.service import Principal
from coalition.platform.coalitions import repository as coalitions
from coalition.platform.errors import DomainError, ErrorCode, validation
from coalition.platform.programme import service as programme
from coalition.platform.programme.rules import CoalitionRules, CoalitionRulesChanges, check_coalition_rules, merge
from coalition.platform.runtime.broadcasts import RULES_CHANGED
from coalition.platform.runtime.database import AsyncSession
from coalition.platform.runtime.unit_of_work import announce_after_commit


async def set_earn_rules(
    session: AsyncSession, principal: Principal, partner_id: uuid.UUID, rules: EarnRules
) -> EarnRules:
    """A partner's base and category rates, thresholds and cap, kept within
    the coalition's earn-rate band."""
    await partner_in_coalition(session, principal, partner_id)
    limits = (await programme.current_rules(session, principal.coalition_id)).limits
    check_earn_rules(rules, limits)
    before = await repository.earn_rules(session, partner_id, for_update=True)
    assert before is not None
    await repository.save_earn_rules(session, partner_id, rules)
    announce_after_commit(session, RULES_CHANGED)
    await record_change(
        session,
        principal,
        "partner.earn_rules.save",
        partner_id,
        before={"baseRate": str(before.base_rate), **repository.earn_rules_document(before)},
        after={"baseRate": str(rules.base_rate), **repository.earn_rules_document(rules)},
    )
    return rules


async def save_coalition_rules(
    session: AsyncSession, principal: Principal, changes: CoalitionRulesChanges
) -> CoalitionRules:
    """The operator's coalition-wide rules: the sections ``changes`` names
    replace the current ones. New earn-rate limits must hold for every
    partner's current rules, or nothing is saved."""
    current = await programme.current_rules(session, principal.coalition_id, for_update=True)
    rules = check_coalition_rules(merge(current, changes))
    offenders = []
    for partner_id, earn_rules in (await repository.coalition_earn_rules(session, principal.coalition_id)).items():
        try:
            check_earn_rules(earn_rules, rules.limits)
        except DomainError as refusal:
            partner = (await coalitions.partners_by_ids(session, [partner_id]))[0]
            offenders.append(f"{partner.name}: {refusal.message}")
    if offenders:
        raise DomainError(
            ErrorCode.CONFLICT,
            "these partners' rules break the new limits; change them first: " + "; ".join(offenders),
            ("limits",),
        )
    tier_codes = {tier.code for tier in rules.tiers.tiers}
    for existing in await repository.campaign_list(
        session, principal.coalition_id, partner_id=None, ending_after=datetime.now(UTC)
    ):
        if set(existing.tiers) - tier_codes:
            raise DomainError(
                ErrorCode.CONFLICT, f"campaign '{existing.name}' is limited to a tier that would no longer exist"
            )
    _, after = await programme.replace_rules(session, principal, rules)
    announce_after_commit(session, RULES_CHANGED)
    return after


def _campaign_snapshot(campaign: Campaign) -> dict[str, Any]:
    snapshot: dict[str, Any] = msgspec.to_builtins(campaign)
    return snapshot


async def create_campaign(session: AsyncSession, principal: Principal, campaign: Campaign) -> Campaign:
    await _check_campaign(session, principal, campaign)
    saved = await repository.insert_campaign(session, principal.coalition_id, campaign)
    announce_after_commit(session, RULES_CHANGED)
    await record_change(session, principal, "campaign.create", saved.id, after=_campaign_snapshot(saved))
    return saved


async def _check_campaign(session: AsyncSession, principal: Principal, campaign: Campaign) -> None:
    coalition_rules = await programme.current_rules(session, principal.coalition_id)
    earn_rules = None
    if campaign.partner_id is not None:
        await partner_in_coalition(session, principal, campaign.partner_id)
        earn_rules = await repository.earn_rules(session, campaign.partner_id)
    check_campaign(campaign, earn_rules, coalition_rules.limits)
    unknown = set(campaign.tiers) - {tier.code for tier in coalition_rules.tiers.tiers}
    if unknown:
        raise validation(f"no such tier: {', '.join(sorted(unknown))}", "tiers")
    if campaign.reward_id is not None:
        await reward_for(session, principal, campaign.reward_id, campaign.partner_id)


async def update_campaign(session: AsyncSession, principal: Principal, campaign: Campaign) -> Campaign:
    """Changes a campaign that has not started yet (its audience is drawn when
    it starts, and members must not see the terms change under them)."""
    found = await repository.campaign(session, campaign.id, principal.coalition_id)
    if found is None or (principal.partner_id is not None and found.partner_id != principal.partner_id):
        raise DomainError(ErrorCode.NOT_FOUND, "no such campaign", ("id",))
    if found.starts_at <= datetime.now(UTC):
        raise DomainError(ErrorCode.CONFLICT, "a campaign that has started cannot be changed; end it instead", ("id",))
    changed = replace(campaign, partner_id=found.partner_id)
    await _check_campaign(session, principal, changed)
    saved = await repository.update_campaign(session, changed)
    announce_after_commit(session, RULES_CHANGED)
    await record_change(
        session,
        principal,
        "campaign.update",
        saved.id,
        before=_campaign_snapshot(found),
        after=_campaign_snapshot(saved),
    )
    return saved


async def end_campaign(session: AsyncSession, principal: Principal, campaign_id: uuid.UUID) -> Campaign:
    found = await repository.campaign(session, campaign_id, principal.coalition_id)
    if found is None or (principal.partner_id is not None and found.partner_id != principal.partner_id):
        raise DomainError(ErrorCode.NOT_FOUND, "no such campaign", ("id",))
    now = datetime.now(UTC)
    if found.ends_at <= now:
        raise DomainError(ErrorCode.CONFLICT, "this campaign has already ended", ("id",))
    await repository.end_campaign(session, campaign_id, now)
    ended = await repository.campaign(session, campaign_id, principal.coalition_id)
    assert ended is not None
    announce_after_commit(session, RULES_CHANGED)
    await record_change(
        session,
        principal,
        "campaign.end",
        campaign_id,
        before=_campaign_snapshot(found),
        after=_campaign_snapshot(ended),
    )
    return ended


async def create_challenge(session: AsyncSession, principal: Principal, challenge: Challenge) -> Challenge:
    check_challenge(challenge)
    for partner_id in challenge.partner_ids:
        await partner_in_coalition(session, principal, partner_id)
    saved = await repository.insert_challenge(session, principal.coalition_id, challenge)
    announce_after_commit(session, RULES_CHANGED)
    await record_change(session, principal, "challenge.create", saved.id, after=msgspec.to_builtins(saved))
    return saved


async def end_challenge(session: AsyncSession, principal: Principal, challenge_id: uuid.UUID) -> None:
    if not await repository.end_challenge(session, challenge_id, principal.coalition_id, datetime.now(UTC)):
        raise DomainError(ErrorCode.NOT_FOUND, "no such running challenge", ("id",))
    announce_after_commit(session, RULES_CHANGED)
    await record_change(session, principal, "challenge.end", challenge_id)


async def create_stamp_card(
    session: AsyncSession, principal: Principal, partner_id: uuid.UUID, card: StampCard
) -> StampCardRecord:
    await partner_in_coalition(session, principal, partner_id)
    check_stamp_card(card)
    await reward_for(session, principal, card.reward_id, partner_id)
    saved = await repository.insert_stamp_card(session, partner_id, card)
    announce_after_commit(session, RULES_CHANGED)
    await record_change(
        session,
        principal,
        "stamp_card.create",
        saved.card.id,
        after={"partnerId": str(partner_id), **msgspec.to_builtins(saved.card)},
    )
    return saved


async def retire_stamp_card(
    session: AsyncSession, principal: Principal, partner_id: uuid.UUID, card_id: uuid.UUID
) -> None:
    await partner_in_coalition(session, principal, partner_id)
    if not await repository.retire_stamp_card(session, card_id, partner_id):
        raise DomainError(ErrorCode.NOT_FOUND, "no such active stamp card", ("id",))
    announce_after_commit(session, RULES_CHANGED)
    await record_change(
        session,
        principal,
        "stamp_card.retire",
        card_id,
        before={"active": True},
        after={"active": False},
    )
