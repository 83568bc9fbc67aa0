"""Queries and mutations of the programme: partners manage their own rules,
campaigns, stamp cards and catalogue (MANAGER keys); the operator manages the
coalition-wide rules, tiers, bonuses, challenges, charities and invites;
members buy rewards, donate, transfer and name who referred them; tills burn
coupons."""

from __future__ import annotations

import base64
import uuid
from datetime import datetime
from decimal import Decimal

import strawberry
from strawberry.types import Info

from coalition.graphql.context import Context
from coalition.graphql.mutations import posting_payload
from coalition.graphql.permissions import (
    forbidden,
    refusals_as,
    require_member,
    require_operator,
    require_partner,
)
from coalition.graphql.programme_types import (
    AuditConnection,
    AuditEntry,
    AuditEntryEdge,
    BirthdayPeriod,
    BuyRewardPayload,
    Campaign,
    CampaignKind,
    CampaignPayload,
    Challenge,
    ChallengeFunding,
    ChallengePayload,
    ChallengePeriod,
    Charity,
    CharityPayload,
    CoalitionRules,
    CoalitionRulesPayload,
    Coupon,
    CouponPayload,
    DonePayload,
    EarnRules,
    EarnRulesPayload,
    EnrolmentMode,
    InvitePayload,
    ProgramTerms,
    Reward,
    RewardKind,
    RewardPayload,
    StampCard,
    StampCardPayload,
    TermsSection,
    TierBasis,
)
from coalition.graphql.types import MutationError, PostingPayload, page_size, parse_id
from coalition.partners import lifecycle, terms
from coalition.partners import programme as partner_programme
from coalition.partners import rewards as partner_rewards
from coalition.partners.earning import model as partner_rules
from coalition.partners.repositories import programme as partner_repository
from coalition.partners.repositories import rewards as reward_repository
from coalition.partners.rewards import normalise_coupon_code as normalise_coupon
from coalition.platform.audit.repository import audit_page
from coalition.platform.auth.tokens import CredentialKind, PartnerRole
from coalition.platform.errors import DomainError, ErrorCode, validation
from coalition.platform.members import repository as members
from coalition.platform.members import service as member_service
from coalition.platform.programme import repository as programme_repository
from coalition.platform.programme import rules as coalition_rules
from coalition.platform.programme import service as programme
from coalition.platform.programme.rules import donation_match
from coalition.platform.runtime.broadcasts import RULES_CHANGED, announce


async def _rules_changed(context: Context) -> None:
    """After the change commits: this process forgets at once, others through Redis."""
    context.services.till_setups.forget_all()
    context.services.coalition_rules.forget_all()
    await announce(context.services.redis, RULES_CHANGED)


def _managed_partner(context: Context, what: str, partner_id: strawberry.ID | None) -> uuid.UUID:
    """The partner a MANAGER key manages (its own) or the one the operator names."""
    principal = context.principal
    if principal.kind == CredentialKind.PARTNER:
        require_partner(context, what, PartnerRole.MANAGER)
        assert principal.partner_id is not None
        if partner_id is not None and parse_id(partner_id, "partnerId") != principal.partner_id:
            raise DomainError(ErrorCode.NOT_FOUND, "no such partner", ("partnerId",))
        return principal.partner_id
    require_operator(context, what)
    if partner_id is None:
        raise validation("partnerId is required", "partnerId")
    return parse_id(partner_id, "partnerId")


def _visible_partner(context: Context, partner_id: strawberry.ID | None) -> uuid.UUID | None:
    principal = context.principal
    if principal.kind == CredentialKind.PARTNER:
        return principal.partner_id
    return parse_id(partner_id, "partnerId") if partner_id else None


# ---------- inputs ----------


@strawberry.input
class CategoryRateInput:
    category: str
    rate: Decimal


@strawberry.input
class SpendThresholdInput:
    min_spend: Decimal
    points: int


@strawberry.input
class EarnRulesInput:
    base_rate: Decimal = strawberry.field(description="Points per 1.00 spent.")
    category_rates: list[CategoryRateInput] = strawberry.field(default_factory=list)
    thresholds: list[SpendThresholdInput] = strawberry.field(default_factory=list)
    max_points_per_transaction: int | None = None


@strawberry.input
class CampaignInput:
    name: str
    kind: CampaignKind  # type: ignore[valid-type]
    starts_at: datetime
    ends_at: datetime
    partner_id: strawberry.ID | None = strawberry.field(
        default=None, description="Operator: omit for a coalition-wide campaign, funded by the coalition."
    )
    multiplier: Decimal | None = None
    bonus_points: int | None = None
    reward_id: strawberry.ID | None = None
    categories: list[str] = strawberry.field(default_factory=list)
    tiers: list[str] = strawberry.field(default_factory=list)
    min_spend: Decimal | None = None


@strawberry.input
class ChallengeInput:
    name: str
    distinct_partners: int
    period: ChallengePeriod  # type: ignore[valid-type]
    bonus_points: int
    funding: ChallengeFunding  # type: ignore[valid-type]
    starts_at: datetime
    ends_at: datetime
    partner_ids: list[strawberry.ID] = strawberry.field(default_factory=list)


@strawberry.input
class StampCardInput:
    name: str
    stamps_required: int
    reward_id: strawberry.ID
    categories: list[str] = strawberry.field(default_factory=list)
    min_spend: Decimal = Decimal(0)


@strawberry.input
class RewardInput:
    name: str
    kind: RewardKind
    valid_days: int
    points_cost: int | None = None
    value: Decimal | None = None
    active: bool = True


@strawberry.input
class TierInput:
    code: str
    name: str
    threshold: int
    multiplier: Decimal = Decimal(1)
    benefits: list[str] = strawberry.field(default_factory=list)


@strawberry.input
class LimitsInput:
    min_earn_rate: Decimal = Decimal(0)
    max_earn_rate: Decimal = Decimal(100)
    max_points_per_transaction: int | None = None
    max_points_per_member_per_day: int | None = None


@strawberry.input
class BonusesInput:
    signup: int = 0
    birthday: int = 0
    birthday_period: BirthdayPeriod = coalition_rules.BirthdayPeriod.MONTH  # type: ignore[valid-type]
    referrer: int = 0
    referee: int = 0
    referral_min_purchase: Decimal = Decimal(0)


@strawberry.input
class TierPolicyInput:
    basis: TierBasis = coalition_rules.TierBasis.POINTS  # type: ignore[valid-type]
    window_days: int = 365
    retention_days: int = 30
    tiers: list[TierInput] = strawberry.field(default_factory=list)


@strawberry.input
class TransfersInput:
    enabled: bool = False
    max_points_per_transfer: int = 10_000
    max_points_per_day: int = 20_000


@strawberry.input
class DonationMatchingInput:
    percent: int = 0
    max_points_per_donation: int | None = None


@strawberry.input(description="Sections left out keep their current settings.")
class CoalitionRulesInput:
    limits: LimitsInput | None = None
    bonuses: BonusesInput | None = None
    tiers: TierPolicyInput | None = None
    enrolment_mode: EnrolmentMode | None = None  # type: ignore[valid-type]
    transfers: TransfersInput | None = None
    donation_matching: DonationMatchingInput | None = None
    language: str | None = None


@strawberry.input
class CharityInput:
    name: str
    description: str | None = None
    active: bool = True


@strawberry.input
class InviteInput:
    max_uses: int = 1
    expires_at: datetime | None = None
    label: str | None = None


@strawberry.input
class BuyRewardInput:
    idempotency_key: str
    reward_id: strawberry.ID


@strawberry.input
class UseCouponInput:
    code: str
    receipt_ref: str | None = None


@strawberry.input
class DonatePointsInput:
    idempotency_key: str
    charity_id: strawberry.ID
    points: int


@strawberry.input
class TransferPointsInput:
    idempotency_key: str
    to_card_number: str
    points: int


# ---------- conversions ----------


def _earn_rules(data: EarnRulesInput) -> partner_rules.EarnRules:
    return partner_rules.EarnRules(
        base_rate=data.base_rate,
        category_rates=tuple(partner_rules.CategoryRate(c.category, c.rate) for c in data.category_rates),
        thresholds=tuple(partner_rules.Threshold(t.min_spend, t.points) for t in data.thresholds),
        max_points_per_transaction=data.max_points_per_transaction,
    )


def _merge_rules(current: coalition_rules.CoalitionRules, data: CoalitionRulesInput) -> coalition_rules.CoalitionRules:
    from dataclasses import replace

    rules = current
    if data.limits is not None:
        rules = replace(rules, limits=coalition_rules.Limits(**vars(data.limits)))
    if data.bonuses is not None:
        rules = replace(rules, bonuses=coalition_rules.Bonuses(**vars(data.bonuses)))
    if data.tiers is not None:
        policy = data.tiers
        tiers = tuple(
            coalition_rules.Tier(t.code, t.name, t.threshold, t.multiplier, tuple(t.benefits)) for t in policy.tiers
        )
        rules = replace(
            rules,
            tiers=coalition_rules.TierPolicy(policy.basis, policy.window_days, policy.retention_days, tiers),
        )
    if data.enrolment_mode is not None:
        rules = replace(rules, enrolment=data.enrolment_mode)
    if data.transfers is not None:
        rules = replace(rules, transfers=coalition_rules.Transfers(**vars(data.transfers)))
    if data.donation_matching is not None:
        rules = replace(rules, donation_matching=coalition_rules.DonationMatching(**vars(data.donation_matching)))
    if data.language is not None:
        rules = replace(rules, language=data.language)
    return rules


def _audit_cursor(entry: AuditEntry) -> str:
    return base64.urlsafe_b64encode(f"{entry.at.isoformat()}|{entry.id}".encode()).decode()


def _parse_audit_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        at, entry_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        return datetime.fromisoformat(at), uuid.UUID(entry_id)
    except (ValueError, UnicodeDecodeError) as exc:
        raise validation("not a valid cursor", "after") from exc


# ---------- queries ----------


@strawberry.type
class ProgrammeQueries:
    @strawberry.field(description="The coalition-wide rules: limits, bonuses, tiers, enrolment, transfers.")
    async def coalition_rules(self, info: Info[Context, None]) -> CoalitionRules:
        return CoalitionRules.of(await info.context.services.coalition_rules.get(info.context.principal.coalition_id))

    @strawberry.field(description="A partner's earn rules (a partner: its own; the operator: any).")
    async def earn_rules(self, info: Info[Context, None], partner_id: strawberry.ID | None = None) -> EarnRules | None:
        principal = info.context.principal
        if principal.kind == CredentialKind.MEMBER:
            return None
        target = _visible_partner(info.context, partner_id)
        if target is None:
            raise validation("partnerId is required", "partnerId")
        partner = await info.context.partners.load(target)
        if partner is None or partner.coalition_id != principal.coalition_id:
            return None
        async with info.context.services.engine.connect() as connection:
            rules = await partner_repository.earn_rules(connection, target)
        return EarnRules.of(rules) if rules else None

    @strawberry.field(description="Campaigns: a partner's own and the coalition-wide ones; running and upcoming.")
    async def campaigns(
        self, info: Info[Context, None], partner_id: strawberry.ID | None = None, include_ended: bool = False
    ) -> list[Campaign]:
        principal = info.context.principal
        target = _visible_partner(info.context, partner_id)
        since = None if include_ended and principal.kind != CredentialKind.MEMBER else datetime.now().astimezone()
        async with info.context.services.engine.connect() as connection:
            found = await partner_repository.campaign_list(
                connection, principal.coalition_id, partner_id=target, ending_after=since
            )
        return [Campaign.of(c) for c in found]

    @strawberry.field(description="Cross-shop challenges running or coming up.")
    async def challenges(self, info: Info[Context, None], include_ended: bool = False) -> list[Challenge]:
        principal = info.context.principal
        since = None if include_ended and principal.kind == CredentialKind.OPERATOR else datetime.now().astimezone()
        async with info.context.services.engine.connect() as connection:
            found = await partner_repository.challenge_list(connection, principal.coalition_id, since)
        return [Challenge.of(c) for c in found]

    @strawberry.field(description="Stamp cards (a partner: its own; others: every active card).")
    async def stamp_cards(self, info: Info[Context, None], partner_id: strawberry.ID | None = None) -> list[StampCard]:
        principal = info.context.principal
        target = _visible_partner(info.context, partner_id)
        cards = await info.context.stamp_cards.load(principal.coalition_id) or []
        return [StampCard.of(c) for c in cards if target is None or c.partner_id == target]

    @strawberry.field(description="The rewards catalogue: what points buy, shop by shop.")
    async def rewards(self, info: Info[Context, None], partner_id: strawberry.ID | None = None) -> list[Reward]:
        principal = info.context.principal
        target = _visible_partner(info.context, partner_id)
        manages = principal.kind == CredentialKind.OPERATOR or principal.kind == CredentialKind.PARTNER
        async with info.context.services.engine.connect() as connection:
            found = await reward_repository.reward_list(
                connection, principal.coalition_id, target, active_only=not manages
            )
        return [Reward.of(r) for r in found]

    @strawberry.field(description="The charities members can give points to, with their totals.")
    async def charities(self, info: Info[Context, None]) -> list[Charity]:
        principal = info.context.principal
        async with info.context.services.engine.connect() as connection:
            found = await programme_repository.charity_list(
                connection, principal.coalition_id, active_only=principal.kind != CredentialKind.OPERATOR
            )
        return [Charity.of(c) for c in found]

    @strawberry.field(description="Till: check a coupon before burning it (for this shop only).")
    async def coupon(self, info: Info[Context, None], code: str) -> Coupon | None:
        principal = info.context.principal
        if principal.kind == CredentialKind.MEMBER:
            return None
        async with info.context.services.engine.connect() as connection:
            found = await reward_repository.coupon_by_code(connection, principal.coalition_id, normalise_coupon(code))
        if found is None or (principal.kind == CredentialKind.PARTNER and found.partner_id != principal.partner_id):
            return None
        return Coupon.of(found)

    @strawberry.field(description="Operator: every change to partners, rules and credentials, newest first.")
    async def audit_log(
        self,
        info: Info[Context, None],
        first: int | None = 50,
        after: str | None = None,
        action_prefix: str | None = None,
    ) -> AuditConnection | None:
        principal = info.context.principal
        if principal.kind != CredentialKind.OPERATOR:
            return None
        limit = page_size(first)
        cursor = _parse_audit_cursor(after) if after else None
        async with info.context.services.engine.connect() as connection:
            rows = await audit_page(
                connection, principal.coalition_id, after=cursor, limit=limit + 1, action_prefix=action_prefix
            )
        entries = [AuditEntry.of(row) for row in rows[:limit]]
        edges = [AuditEntryEdge(node=e, cursor=_audit_cursor(e)) for e in entries]
        return AuditConnection(
            edges=edges, has_next_page=len(rows) > limit, end_cursor=edges[-1].cursor if edges else None
        )

    @strawberry.field(description="The programme's terms from the live rules, in the coalition's language by default.")
    async def program_terms(self, info: Info[Context, None], language: str | None = None) -> ProgramTerms:
        coalition = await info.context.coalition()
        rules = await info.context.services.coalition_rules.get(coalition.id)
        async with info.context.services.engine.connect() as connection:
            written = await terms.write(connection, coalition, rules, language or rules.language)
        return ProgramTerms(
            language=written.language,
            title=written.title,
            sections=[TermsSection(title=s.title, lines=list(s.lines)) for s in written.sections],
            url=f"/terms/{coalition.slug}?lang={written.language}",
        )


# ---------- mutations ----------


@strawberry.type
class PayoutAccountPayload:
    iban: str | None = strawberry.field(default=None, description="As stored: compact, upper case.")
    errors: list[MutationError] = strawberry.field(default_factory=list)


@strawberry.type
class ProgrammeMutations:
    @strawberry.mutation(description="MANAGER (own shop) or operator: the IBAN payouts go to (null removes it).")
    @refusals_as(PayoutAccountPayload)
    async def set_payout_account(
        self, info: Info[Context, None], iban: str | None, partner_id: strawberry.ID | None = None
    ) -> PayoutAccountPayload:
        target = _managed_partner(info.context, "change the payout account", partner_id)
        async with info.context.services.sessions.begin() as session:
            saved = await lifecycle.set_payout_account(session, info.context.principal, target, iban)
        return PayoutAccountPayload(iban=saved)

    @strawberry.mutation(description="MANAGER (own shop) or operator: base and category rates, thresholds, cap.")
    @refusals_as(EarnRulesPayload)
    async def set_earn_rules(
        self, info: Info[Context, None], input: EarnRulesInput, partner_id: strawberry.ID | None = None
    ) -> EarnRulesPayload:
        target = _managed_partner(info.context, "change earn rules", partner_id)
        async with info.context.services.sessions.begin() as session:
            saved = await partner_programme.set_earn_rules(session, info.context.principal, target, _earn_rules(input))
        await _rules_changed(info.context)
        return EarnRulesPayload(rules=EarnRules.of(saved))

    @strawberry.mutation(description="Operator: the coalition-wide rules (sections left out are kept).")
    @refusals_as(CoalitionRulesPayload)
    async def set_coalition_rules(self, info: Info[Context, None], input: CoalitionRulesInput) -> CoalitionRulesPayload:
        principal = require_operator(info.context, "change the coalition's rules")
        async with info.context.services.sessions.begin() as session:
            current = await programme.current_rules(session, principal.coalition_id)
            saved = await partner_programme.save_coalition_rules(
                session, principal, coalition_rules.CoalitionRulesChanges.replacing(_merge_rules(current, input))
            )
        await _rules_changed(info.context)
        return CoalitionRulesPayload(rules=CoalitionRules.of(saved))

    @strawberry.mutation(description="MANAGER (own shop) or operator (any shop, or coalition-wide): a campaign.")
    @refusals_as(CampaignPayload)
    async def create_campaign(self, info: Info[Context, None], input: CampaignInput) -> CampaignPayload:
        principal = info.context.principal
        if principal.kind == CredentialKind.OPERATOR and input.partner_id is None:
            partner_id = None
        else:
            partner_id = _managed_partner(info.context, "run campaigns", input.partner_id)
        campaign = partner_rules.Campaign(
            id=uuid.uuid4(),
            name=input.name,
            partner_id=partner_id,
            kind=input.kind,
            starts_at=input.starts_at,
            ends_at=input.ends_at,
            multiplier=input.multiplier,
            bonus_points=input.bonus_points,
            reward_id=parse_id(input.reward_id, "rewardId") if input.reward_id else None,
            categories=tuple(input.categories),
            tiers=tuple(input.tiers),
            min_spend=input.min_spend,
        )
        async with info.context.services.sessions.begin() as session:
            saved = await partner_programme.create_campaign(session, principal, campaign)
        await _rules_changed(info.context)
        return CampaignPayload(campaign=Campaign.of(saved))

    @strawberry.mutation(description="MANAGER (own campaigns) or operator: end a campaign now.")
    @refusals_as(CampaignPayload)
    async def end_campaign(self, info: Info[Context, None], id: strawberry.ID) -> CampaignPayload:
        principal = info.context.principal
        if principal.kind == CredentialKind.PARTNER:
            require_partner(info.context, "end campaigns", PartnerRole.MANAGER)
        elif principal.kind != CredentialKind.OPERATOR:
            raise forbidden("end campaigns")
        async with info.context.services.sessions.begin() as session:
            ended = await partner_programme.end_campaign(session, principal, parse_id(id))
        await _rules_changed(info.context)
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
        async with info.context.services.sessions.begin() as session:
            saved = await partner_programme.create_challenge(session, principal, challenge)
        await _rules_changed(info.context)
        return ChallengePayload(challenge=Challenge.of(saved))

    @strawberry.mutation(description="Operator: end a challenge now.")
    @refusals_as(DonePayload)
    async def end_challenge(self, info: Info[Context, None], id: strawberry.ID) -> DonePayload:
        principal = require_operator(info.context, "end challenges")
        async with info.context.services.sessions.begin() as session:
            await partner_programme.end_challenge(session, principal, parse_id(id))
        await _rules_changed(info.context)
        return DonePayload(done=True)

    @strawberry.mutation(description="MANAGER (own shop) or operator: a stamp card.")
    @refusals_as(StampCardPayload)
    async def create_stamp_card(
        self, info: Info[Context, None], input: StampCardInput, partner_id: strawberry.ID | None = None
    ) -> StampCardPayload:
        target = _managed_partner(info.context, "create stamp cards", partner_id)
        card = partner_rules.StampCard(
            id=uuid.uuid4(),
            name=input.name,
            stamps_required=input.stamps_required,
            reward_id=parse_id(input.reward_id, "rewardId"),
            categories=tuple(input.categories),
            min_spend=input.min_spend,
        )
        async with info.context.services.sessions.begin() as session:
            saved = await partner_programme.create_stamp_card(session, info.context.principal, target, card)
        await _rules_changed(info.context)
        return StampCardPayload(stamp_card=StampCard.of(saved))

    @strawberry.mutation(description="MANAGER (own shop) or operator: stop giving stamps on a card.")
    @refusals_as(DonePayload)
    async def retire_stamp_card(
        self, info: Info[Context, None], id: strawberry.ID, partner_id: strawberry.ID | None = None
    ) -> DonePayload:
        target = _managed_partner(info.context, "retire stamp cards", partner_id)
        async with info.context.services.sessions.begin() as session:
            await partner_programme.retire_stamp_card(session, info.context.principal, target, parse_id(id))
        await _rules_changed(info.context)
        return DonePayload(done=True)

    @strawberry.mutation(description="MANAGER (own shop) or operator: a reward in the catalogue.")
    @refusals_as(RewardPayload)
    async def create_reward(
        self, info: Info[Context, None], input: RewardInput, partner_id: strawberry.ID | None = None
    ) -> RewardPayload:
        target = _managed_partner(info.context, "manage rewards", partner_id)
        async with info.context.services.sessions.begin() as session:
            reward = await partner_rewards.create_reward(session, info.context.principal, target, _reward_spec(input))
        return RewardPayload(reward=Reward.of(reward))

    @strawberry.mutation(description="MANAGER (own rewards) or operator: change or withdraw a reward.")
    @refusals_as(RewardPayload)
    async def update_reward(self, info: Info[Context, None], id: strawberry.ID, input: RewardInput) -> RewardPayload:
        principal = info.context.principal
        if principal.kind == CredentialKind.PARTNER:
            require_partner(info.context, "manage rewards", PartnerRole.MANAGER)
        else:
            require_operator(info.context, "manage rewards")
        async with info.context.services.sessions.begin() as session:
            reward = await partner_rewards.update_reward(session, principal, parse_id(id), _reward_spec(input))
        return RewardPayload(reward=Reward.of(reward))

    @strawberry.mutation(description="Operator: list a charity members can give points to.")
    @refusals_as(CharityPayload)
    async def create_charity(self, info: Info[Context, None], input: CharityInput) -> CharityPayload:
        principal = require_operator(info.context, "list charities")
        async with info.context.services.sessions.begin() as session:
            charity = await programme.create_charity(session, principal, input.name, input.description)
        return CharityPayload(charity=Charity.of(charity))

    @strawberry.mutation(description="Operator: change or withdraw a charity.")
    @refusals_as(CharityPayload)
    async def update_charity(self, info: Info[Context, None], id: strawberry.ID, input: CharityInput) -> CharityPayload:
        principal = require_operator(info.context, "change charities")
        async with info.context.services.sessions.begin() as session:
            charity = await programme.update_charity(
                session, principal, parse_id(id), name=input.name, description=input.description, active=input.active
            )
        return CharityPayload(charity=Charity.of(charity))

    @strawberry.mutation(description="Operator: an invite code for an invite-only pilot.")
    @refusals_as(InvitePayload)
    async def create_invite(self, info: Info[Context, None], input: InviteInput) -> InvitePayload:
        principal = require_operator(info.context, "create invites")
        async with info.context.services.sessions.begin() as session:
            code = await programme.create_invite(
                session, principal, max_uses=input.max_uses, expires_at=input.expires_at, label=input.label
            )
        return InvitePayload(code=code)

    @strawberry.mutation(description="Member: buy a reward with points; returns a single-use coupon.")
    @refusals_as(BuyRewardPayload)
    async def buy_reward(self, info: Info[Context, None], input: BuyRewardInput) -> BuyRewardPayload:
        principal = require_member(info.context, "buy rewards")
        assert principal.member_id is not None
        async with info.context.services.sessions.begin() as session:
            member = (await members.members_by_ids(session, [principal.member_id]))[0]
            posting, coupon = await partner_rewards.buy_reward(
                session, member, parse_id(input.reward_id, "rewardId"), input.idempotency_key
            )
        return BuyRewardPayload(coupon=Coupon.of(coupon), posting=await posting_payload(info.context, posting))

    @strawberry.mutation(description="Till (the coupon's shop): burn a coupon; it cannot be used again.")
    @refusals_as(CouponPayload)
    async def use_coupon(self, info: Info[Context, None], input: UseCouponInput) -> CouponPayload:
        principal = require_partner(info.context, "burn coupons")
        async with info.context.services.sessions.begin() as session:
            coupon, reward = await partner_rewards.use_coupon(session, principal, input.code, input.receipt_ref)
        return CouponPayload(coupon=Coupon.of(coupon), reward=Reward.of(reward))

    @strawberry.mutation(description="Member: give points to a charity (the coalition may match them).")
    @refusals_as(PostingPayload)
    async def donate_points(self, info: Info[Context, None], input: DonatePointsInput) -> PostingPayload:
        principal = require_member(info.context, "donate points")
        assert principal.member_id is not None
        rules = await info.context.services.coalition_rules.get(principal.coalition_id)
        posting = await info.context.services.ledger.donate(
            principal.member_id,
            idempotency_key=input.idempotency_key,
            charity_id=parse_id(input.charity_id, "charityId"),
            points=input.points,
            match=donation_match(rules.donation_matching, max(input.points, 0)),
        )
        return await posting_payload(info.context, posting)

    @strawberry.mutation(description="Member: give points to another member, when the coalition allows it.")
    @refusals_as(PostingPayload)
    async def transfer_points(self, info: Info[Context, None], input: TransferPointsInput) -> PostingPayload:
        principal = require_member(info.context, "transfer points")
        assert principal.member_id is not None
        transfers = (await info.context.services.coalition_rules.get(principal.coalition_id)).transfers
        if not transfers.enabled:
            raise DomainError(ErrorCode.FORBIDDEN, "this coalition does not allow transfers between members")
        if input.points > transfers.max_points_per_transfer:
            raise DomainError(
                ErrorCode.LIMIT_EXCEEDED,
                f"at most {transfers.max_points_per_transfer} points per transfer",
                ("points",),
            )
        posting = await info.context.services.ledger.transfer(
            principal.member_id,
            idempotency_key=input.idempotency_key,
            to_card=input.to_card_number,
            points=input.points,
            max_per_day=transfers.max_points_per_day,
        )
        return await posting_payload(info.context, posting)

    @strawberry.mutation(description="Member: name who referred you (before your first purchase).")
    @refusals_as(DonePayload)
    async def apply_referral_code(self, info: Info[Context, None], code: str) -> DonePayload:
        principal = require_member(info.context, "apply referral codes")
        assert principal.member_id is not None
        if len(code) > 32:
            raise validation("referralCode is too long", "referralCode")
        async with info.context.services.sessions.begin() as session:
            await member_service.apply_referral_code(session, principal.coalition_id, principal.member_id, code)
        return DonePayload(done=True)


def _reward_spec(data: RewardInput) -> partner_rewards.RewardSpec:
    return partner_rewards.RewardSpec(
        name=data.name,
        kind=data.kind.value,
        points_cost=data.points_cost,
        value=data.value,
        valid_days=data.valid_days,
        active=data.active,
    )
