"""Changing the programme: partners manage their own rules, campaigns, stamp
cards and catalogue (MANAGER keys); the operator manages the coalition-wide
rules, tiers, bonuses, challenges, charities and invites; members buy
rewards, donate, transfer and name who referred them; tills burn coupons."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import strawberry
from strawberry.types import Info

from coalition.graphql.common import DonePayload, parse_id
from coalition.graphql.context import Context
from coalition.graphql.ledger.types import PostingPayload
from coalition.graphql.partners.challenges import Challenge
from coalition.graphql.partners.payloads import (
    CampaignPayload,
    ChallengePayload,
    CouponPayload,
    EarnRulesPayload,
    PayoutAccountPayload,
    RewardPayload,
    StampCardPayload,
)
from coalition.graphql.partners.types import Campaign, Coupon, EarnRules, Reward, StampCard
from coalition.graphql.permissions import (
    campaign_owner,
    managed_partner,
    refusals_as,
    require_manager_or_operator,
    require_member,
    require_operator,
    require_partner,
)
from coalition.graphql.programme.inputs import (
    BuyRewardInput,
    CampaignInput,
    ChallengeInput,
    CharityInput,
    CoalitionRulesInput,
    DonatePointsInput,
    EarnRulesInput,
    InviteInput,
    RewardInput,
    StampCardInput,
    TransferPointsInput,
    UseCouponInput,
    earn_rules_of,
)
from coalition.graphql.programme.types import (
    BuyRewardPayload,
    Charity,
    CharityPayload,
    CoalitionRules,
    CoalitionRulesPayload,
    InvitePayload,
)
from coalition.insights import campaign_experiments
from coalition.insights.audiences import check_segment
from coalition.partners import lifecycle
from coalition.partners import programme as partner_programme
from coalition.partners import rewards as partner_rewards
from coalition.partners.earning import model as partner_rules
from coalition.platform.members import reads as member_reads
from coalition.platform.members import service as member_service
from coalition.platform.programme import giving
from coalition.platform.programme import rules as coalition_rules
from coalition.platform.programme import service as programme


def _rules_changes(data: CoalitionRulesInput) -> coalition_rules.CoalitionRulesChanges:
    """The sections the input names; the service merges them into the current rules."""
    tiers = data.tiers
    return coalition_rules.CoalitionRulesChanges(
        limits=coalition_rules.Limits(**vars(data.limits)) if data.limits is not None else None,
        bonuses=coalition_rules.Bonuses(**vars(data.bonuses)) if data.bonuses is not None else None,
        tiers=(
            coalition_rules.TierPolicy(
                tiers.basis,
                tiers.window_days,
                tiers.retention_days,
                tuple(
                    coalition_rules.Tier(t.code, t.name, t.threshold, t.multiplier, tuple(t.benefits))
                    for t in tiers.tiers
                ),
            )
            if tiers is not None
            else None
        ),
        enrolment=data.enrolment_mode,
        transfers=coalition_rules.Transfers(**vars(data.transfers)) if data.transfers is not None else None,
        donation_matching=(
            coalition_rules.DonationMatching(**vars(data.donation_matching))
            if data.donation_matching is not None
            else None
        ),
        language=data.language,
    )


def _campaign(data: CampaignInput, campaign_id: uuid.UUID, partner_id: uuid.UUID | None) -> partner_rules.Campaign:
    audience = data.audience.audience() if data.audience is not None else None
    if audience is not None:
        check_segment(audience.segment)
    return partner_rules.Campaign(
        id=campaign_id,
        name=data.name,
        partner_id=partner_id,
        kind=data.kind,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        multiplier=data.multiplier,
        bonus_points=data.bonus_points,
        reward_id=parse_id(data.reward_id, "rewardId") if data.reward_id else None,
        categories=tuple(data.categories),
        tiers=tuple(data.tiers),
        min_spend=data.min_spend,
        audience=audience,
    )


def _reward_spec(data: RewardInput) -> partner_rewards.RewardSpec:
    return partner_rewards.RewardSpec(
        name=data.name,
        kind=data.kind.value,
        points_cost=data.points_cost,
        value=data.value,
        valid_days=data.valid_days,
        active=data.active,
    )


@strawberry.type
class ProgrammeMutations:
    @strawberry.mutation(description="MANAGER (own shop) or operator: the IBAN payouts go to (null removes it).")
    @refusals_as(PayoutAccountPayload)
    async def set_payout_account(
        self, info: Info[Context, None], iban: str | None, partner_id: strawberry.ID | None = None
    ) -> PayoutAccountPayload:
        target = managed_partner(info.context, "change the payout account", partner_id)
        async with info.context.unit_of_work() as session:
            saved = await lifecycle.set_payout_account(session, info.context.principal, target, iban)
        return PayoutAccountPayload(iban=saved)

    @strawberry.mutation(description="MANAGER (own shop) or operator: base and category rates, thresholds, cap.")
    @refusals_as(EarnRulesPayload)
    async def set_earn_rules(
        self, info: Info[Context, None], input: EarnRulesInput, partner_id: strawberry.ID | None = None
    ) -> EarnRulesPayload:
        target = managed_partner(info.context, "change earn rules", partner_id)
        async with info.context.unit_of_work() as session:
            saved = await partner_programme.set_earn_rules(
                session, info.context.principal, target, earn_rules_of(input)
            )
        return EarnRulesPayload(rules=EarnRules.of(saved))

    @strawberry.mutation(description="Operator: the coalition-wide rules (sections left out are kept).")
    @refusals_as(CoalitionRulesPayload)
    async def set_coalition_rules(self, info: Info[Context, None], input: CoalitionRulesInput) -> CoalitionRulesPayload:
        principal = require_operator(info.context, "change the coalition's rules")
        async with info.context.unit_of_work() as session:
            saved = await partner_programme.save_coalition_rules(session, principal, _rules_changes(input))
        return CoalitionRulesPayload(rules=CoalitionRules.of(saved))

    @strawberry.mutation(description="MANAGER (own shop) or operator (any shop, or coalition-wide): a campaign.")
    @refusals_as(CampaignPayload)
    async def create_campaign(self, info: Info[Context, None], input: CampaignInput) -> CampaignPayload:
        partner_id = campaign_owner(info.context, input.partner_id)
        campaign = _campaign(input, uuid.uuid4(), partner_id)
        async with info.context.unit_of_work() as session:
            saved = await partner_programme.create_campaign(session, info.context.principal, campaign)
            # Started already: its audience is drawn now, as of its start.
            await campaign_experiments.draw(session, saved.id, datetime.now(UTC))
        return CampaignPayload(campaign=Campaign.of(saved))

    @strawberry.mutation(description="MANAGER (own campaigns) or operator: change a campaign before it starts.")
    @refusals_as(CampaignPayload)
    async def update_campaign(
        self, info: Info[Context, None], id: strawberry.ID, input: CampaignInput
    ) -> CampaignPayload:
        principal = require_manager_or_operator(info.context, "change campaigns")
        campaign = _campaign(input, parse_id(id), None)
        async with info.context.unit_of_work() as session:
            saved = await partner_programme.update_campaign(session, principal, campaign)
        return CampaignPayload(campaign=Campaign.of(saved))

    @strawberry.mutation(description="MANAGER (own campaigns) or operator: end a campaign now.")
    @refusals_as(CampaignPayload)
    async def end_campaign(self, info: Info[Context, None], id: strawberry.ID) -> CampaignPayload:
        principal = require_manager_or_operator(info.context, "end campaigns")
        async with info.context.unit_of_work() as session:
            ended = await partner_programme.end_campaign(session, principal, parse_id(id))
        return CampaignPayload(campaign=Campaign.of(ended))

    @strawberry.mutation(description="Operator: a cross-shop challenge.")
    @refusals_as(ChallengePayload)
    async def create_challenge(self, info: Info[Context, None], input: ChallengeInput) -> ChallengePayload:
        principal = require_operator(info.context, "create challenges")
        challenge = partner_rules.Challenge(
            id=uuid.uuid4(),
            name=input.name,
            distinct_partners=input.distinct_partners,
            period=input.period,
            bonus_points=input.bonus_points,
            funding=input.funding,
            partner_ids=tuple(parse_id(p, "partnerIds") for p in input.partner_ids),
            starts_at=input.starts_at,
            ends_at=input.ends_at,
        )
        async with info.context.unit_of_work() as session:
            saved = await partner_programme.create_challenge(session, principal, challenge)
        return ChallengePayload(challenge=Challenge.of(saved))

    @strawberry.mutation(description="Operator: end a challenge now.")
    @refusals_as(DonePayload)
    async def end_challenge(self, info: Info[Context, None], id: strawberry.ID) -> DonePayload:
        principal = require_operator(info.context, "end challenges")
        async with info.context.unit_of_work() as session:
            await partner_programme.end_challenge(session, principal, parse_id(id))
        return DonePayload(done=True)

    @strawberry.mutation(description="MANAGER (own shop) or operator: a stamp card.")
    @refusals_as(StampCardPayload)
    async def create_stamp_card(
        self, info: Info[Context, None], input: StampCardInput, partner_id: strawberry.ID | None = None
    ) -> StampCardPayload:
        target = managed_partner(info.context, "create stamp cards", partner_id)
        card = partner_rules.StampCard(
            id=uuid.uuid4(),
            name=input.name,
            stamps_required=input.stamps_required,
            reward_id=parse_id(input.reward_id, "rewardId"),
            categories=tuple(input.categories),
            min_spend=input.min_spend,
        )
        async with info.context.unit_of_work() as session:
            saved = await partner_programme.create_stamp_card(session, info.context.principal, target, card)
        return StampCardPayload(stamp_card=StampCard.of(saved))

    @strawberry.mutation(description="MANAGER (own shop) or operator: stop giving stamps on a card.")
    @refusals_as(DonePayload)
    async def retire_stamp_card(
        self, info: Info[Context, None], id: strawberry.ID, partner_id: strawberry.ID | None = None
    ) -> DonePayload:
        target = managed_partner(info.context, "retire stamp cards", partner_id)
        async with info.context.unit_of_work() as session:
            await partner_programme.retire_stamp_card(session, info.context.principal, target, parse_id(id))
        return DonePayload(done=True)

    @strawberry.mutation(description="MANAGER (own shop) or operator: a reward in the catalogue.")
    @refusals_as(RewardPayload)
    async def create_reward(
        self, info: Info[Context, None], input: RewardInput, partner_id: strawberry.ID | None = None
    ) -> RewardPayload:
        target = managed_partner(info.context, "manage rewards", partner_id)
        async with info.context.unit_of_work() as session:
            reward = await partner_rewards.create_reward(session, info.context.principal, target, _reward_spec(input))
        return RewardPayload(reward=Reward.of(reward))

    @strawberry.mutation(description="MANAGER (own rewards) or operator: change or withdraw a reward.")
    @refusals_as(RewardPayload)
    async def update_reward(self, info: Info[Context, None], id: strawberry.ID, input: RewardInput) -> RewardPayload:
        principal = require_manager_or_operator(info.context, "manage rewards")
        async with info.context.unit_of_work() as session:
            reward = await partner_rewards.update_reward(session, principal, parse_id(id), _reward_spec(input))
        return RewardPayload(reward=Reward.of(reward))

    @strawberry.mutation(description="Operator: list a charity members can give points to.")
    @refusals_as(CharityPayload)
    async def create_charity(self, info: Info[Context, None], input: CharityInput) -> CharityPayload:
        principal = require_operator(info.context, "list charities")
        async with info.context.unit_of_work() as session:
            charity = await programme.create_charity(session, principal, input.name, input.description)
        return CharityPayload(charity=Charity.of(charity))

    @strawberry.mutation(description="Operator: change or withdraw a charity.")
    @refusals_as(CharityPayload)
    async def update_charity(self, info: Info[Context, None], id: strawberry.ID, input: CharityInput) -> CharityPayload:
        principal = require_operator(info.context, "change charities")
        async with info.context.unit_of_work() as session:
            charity = await programme.update_charity(
                session, principal, parse_id(id), name=input.name, description=input.description, active=input.active
            )
        return CharityPayload(charity=Charity.of(charity))

    @strawberry.mutation(description="Operator: an invite code for an invite-only pilot.")
    @refusals_as(InvitePayload)
    async def create_invite(self, info: Info[Context, None], input: InviteInput) -> InvitePayload:
        principal = require_operator(info.context, "create invites")
        async with info.context.unit_of_work() as session:
            code = await programme.create_invite(
                session, principal, max_uses=input.max_uses, expires_at=input.expires_at, label=input.label
            )
        return InvitePayload(code=code)

    @strawberry.mutation(description="Member: buy a reward with points; returns a single-use coupon.")
    @refusals_as(BuyRewardPayload)
    async def buy_reward(self, info: Info[Context, None], input: BuyRewardInput) -> BuyRewardPayload:
        principal = require_member(info.context, "buy rewards")
        assert principal.member_id is not None
        async with info.context.unit_of_work() as session:
            member = (await member_reads.members_by_id(session, [principal.member_id]))[principal.member_id]
            posting, coupon = await partner_rewards.buy_reward(
                session, member, parse_id(input.reward_id, "rewardId"), input.idempotency_key
            )
        currency = (await info.context.coalition()).currency
        return BuyRewardPayload(coupon=Coupon.of(coupon), posting=PostingPayload.of(posting, currency))

    @strawberry.mutation(description="Till (the coupon's shop): burn a coupon; it cannot be used again.")
    @refusals_as(CouponPayload)
    async def use_coupon(self, info: Info[Context, None], input: UseCouponInput) -> CouponPayload:
        principal = require_partner(info.context, "burn coupons")
        async with info.context.unit_of_work() as session:
            coupon, reward = await partner_rewards.use_coupon(session, principal, input.code, input.receipt_ref)
        return CouponPayload(coupon=Coupon.of(coupon), reward=Reward.of(reward))

    @strawberry.mutation(description="Member: give points to a charity (the coalition may match them).")
    @refusals_as(PostingPayload)
    async def donate_points(self, info: Info[Context, None], input: DonatePointsInput) -> PostingPayload:
        principal = require_member(info.context, "donate points")
        assert principal.member_id is not None
        services = info.context.services
        posting = await giving.donate_points(
            services.ledger,
            await services.coalition_rules.get(principal.coalition_id),
            principal.member_id,
            idempotency_key=input.idempotency_key,
            charity_id=parse_id(input.charity_id, "charityId"),
            points=input.points,
        )
        return PostingPayload.of(posting, (await info.context.coalition()).currency)

    @strawberry.mutation(description="Member: give points to another member, when the coalition allows it.")
    @refusals_as(PostingPayload)
    async def transfer_points(self, info: Info[Context, None], input: TransferPointsInput) -> PostingPayload:
        principal = require_member(info.context, "transfer points")
        assert principal.member_id is not None
        services = info.context.services
        posting = await giving.transfer_points(
            services.ledger,
            await services.coalition_rules.get(principal.coalition_id),
            principal.member_id,
            idempotency_key=input.idempotency_key,
            to_card=input.to_card_number,
            points=input.points,
        )
        return PostingPayload.of(posting, (await info.context.coalition()).currency)

    @strawberry.mutation(description="Member: name who referred you (before your first purchase).")
    @refusals_as(DonePayload)
    async def apply_referral_code(self, info: Info[Context, None], code: str) -> DonePayload:
        principal = require_member(info.context, "apply referral codes")
        assert principal.member_id is not None
        async with info.context.unit_of_work() as session:
            await member_service.apply_referral_code(session, principal.coalition_id, principal.member_id, code)
        return DonePayload(done=True)
