"""Partner use cases: joining and lifecycle, keys, and the till's earn."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from coalition.partners import repository
from coalition.partners.coupons import new_code as new_coupon_code
from coalition.partners.coupons import normalise as normalise_coupon
from coalition.partners.repository import CouponRecord, RewardRecord, StampCardRecord, StateRead
from coalition.partners.rules import (
    Basket,
    Campaign,
    Challenge,
    Earned,
    EarnRules,
    Line,
    MemberState,
    Setup,
    StampCard,
    check_campaign,
    check_challenge,
    check_earn_rate,
    check_earn_rules,
    check_stamp_card,
    evaluate,
)
from coalition.platform.audit.service import record_change
from coalition.platform.auth import service as auth
from coalition.platform.auth.service import Principal
from coalition.platform.auth.tokens import CredentialKind, PartnerRole
from coalition.platform.coalitions import repository as coalitions
from coalition.platform.coalitions.repository import PartnerRecord
from coalition.platform.coalitions.service import change_partner_status
from coalition.platform.coalitions.tables import coalitions as coalitions_table
from coalition.platform.coalitions.tables import partners
from coalition.platform.errors import DomainError, ErrorCode, validation
from coalition.platform.ledger.repository import Posting
from coalition.platform.ledger.service import (
    EarnRequest,
    LedgerService,
    StaleMemberState,
    check_card_number,
    check_idempotency_key,
    check_text,
    redeem_in_session,
    request_hash,
)
from coalition.platform.members.repository import MemberRecord
from coalition.platform.money import parse_purchase_amount
from coalition.platform.programme import service as programme
from coalition.platform.programme.rules import CoalitionRules, TierBasis, check_coalition_rules
from coalition.platform.runtime.caching import Remembered
from coalition.platform.runtime.database import AsyncSession

MAX_BASKET_LINES = 500


def check_iban(iban: str | None) -> str | None:
    if iban is None or not iban.strip():
        return None
    try:
        return str(IBAN(iban).compact)
    except SchwiftyException as exc:
        raise validation(f"IBAN is not valid: {exc}", "iban") from exc


def check_name(name: str) -> str:
    name = name.strip()
    if not 1 <= len(name) <= 120:
        raise validation("name must be 1-120 characters", "name")
    return name


def _partner_snapshot(partner: PartnerRecord) -> dict[str, Any]:
    return {"name": partner.name, "status": partner.status}


async def create_partner(
    session: AsyncSession,
    principal: Principal,
    *,
    name: str,
    earn_rate_per_unit: Decimal,
    iban: str | None,
) -> tuple[PartnerRecord, str]:
    """A partner joins as INVITED with its programme and a MANAGER key (shown once)."""
    name = check_name(name)
    rate = check_earn_rate(earn_rate_per_unit)
    limits = (await programme.current_rules(session, principal.coalition_id)).limits
    try:
        check_earn_rules(EarnRules(rate), limits)
    except DomainError as refused:
        raise validation(refused.message, "earnRatePerUnit") from refused
    compact_iban = check_iban(iban)
    partner = await coalitions.insert_partner(session, principal.coalition_id, name)
    await repository.insert_programme(session, partner.id, rate, compact_iban)
    _, api_key = await auth.issue(
        session,
        coalition_id=principal.coalition_id,
        kind=CredentialKind.PARTNER,
        partner_id=partner.id,
        role=PartnerRole.MANAGER,
        label="created with the partner",
    )
    await record_change(
        session,
        principal,
        "partner.create",
        partner.id,
        after={**_partner_snapshot(partner), "earnRatePerUnit": str(rate), "iban": compact_iban},
    )
    return partner, api_key


async def set_status(
    session: AsyncSession,
    principal: Principal,
    partner_id: uuid.UUID,
    status: str,
    reason: str | None = None,
) -> PartnerRecord:
    if reason is not None and not reason.strip():
        raise validation("a reason is required", "reason")
    check_text(reason, "reason")
    before, after = await change_partner_status(session, principal.coalition_id, partner_id, status, reason)
    if before != after:
        await record_change(
            session,
            principal,
            f"partner.{status.lower()}",
            partner_id,
            before=_partner_snapshot(before),
            after={**_partner_snapshot(after), "reason": reason},
        )
    return after


async def issue_api_key(
    session: AsyncSession, principal: Principal, partner_id: uuid.UUID, role: PartnerRole, label: str | None
) -> tuple[uuid.UUID, str]:
    found = await coalitions.partner_for_update(session, partner_id, principal.coalition_id)
    if found is None:
        raise DomainError(ErrorCode.NOT_FOUND, "no such partner", ("partnerId",))
    check_text(label, "label")
    credential_id, key = await auth.issue(
        session,
        coalition_id=principal.coalition_id,
        kind=CredentialKind.PARTNER,
        partner_id=partner_id,
        role=role,
        label=label,
    )
    await record_change(
        session,
        principal,
        "partner.api_key.issue",
        credential_id,
        after={"partnerId": str(partner_id), "role": role.value, "label": label},
    )
    return credential_id, key


class TillSetups:
    """A partner's earn rules with its coalition's rules, running campaigns,
    challenges and stamp cards, kept in memory so that evaluating them costs
    no lookup. Saving any rule forgets them here and, through Redis, in every
    other process; ``ttl`` bounds staleness if a broadcast is missed."""

    def __init__(self, engine: AsyncEngine, ttl: float = 30.0) -> None:
        self._engine = engine
        self._autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._setups: Remembered[uuid.UUID, TillSetup] = Remembered(self._load, ttl=ttl)

    async def get(self, partner_id: uuid.UUID) -> TillSetup:
        setup = await self._setups.get(partner_id)
        if setup.refresh_at is not None and datetime.now(UTC) >= setup.refresh_at:
            self._setups.forget(partner_id)
            setup = await self._setups.get(partner_id)
        return setup

    def forget_all(self) -> None:
        self._setups.forget_all()

    async def member_state(
        self, partner_id: uuid.UUID, card_number: str, window_days: int, *, within: AsyncConnection | None = None
    ) -> StateRead:
        """What the earn engine needs to know of the member: one statement."""
        if within is not None:
            return await repository.member_state(within, partner_id, card_number, window_days)
        async with self._autocommit.connect() as connection:
            return await repository.member_state(connection, partner_id, card_number, window_days)

    @contextlib.asynccontextmanager
    async def member_locked(self, partner_id: uuid.UUID, card_number: str) -> AsyncIterator[AsyncConnection]:
        """A transaction holding the member's activity row, for purchases that
        raced: each decides in turn on the state the previous one left."""
        async with self._engine.begin() as connection:
            await repository.lock_member_activity(connection, partner_id, card_number)
            yield connection

    async def _load(self, partner_id: uuid.UUID) -> TillSetup:
        now = datetime.now(UTC)
        async with self._engine.connect() as connection:
            row = (
                await connection.execute(
                    select(partners.c.coalition_id, coalitions_table.c.currency, coalitions_table.c.timezone)
                    .select_from(partners.join(coalitions_table, coalitions_table.c.id == partners.c.coalition_id))
                    .where(partners.c.id == partner_id)
                )
            ).one()
            rules = await repository.earn_rules(connection, partner_id)
            assert rules is not None
            coalition_rules = await programme.current_rules(connection, row.coalition_id)
            campaigns = await repository.campaign_list(
                connection, row.coalition_id, partner_id=partner_id, ending_after=now
            )
            challenges = await repository.challenge_list(connection, row.coalition_id, now)
            cards = await repository.stamp_card_list(connection, [partner_id], active_only=True)
        # A campaign or challenge starting or ending changes what applies: reload then.
        moments = [m for c in campaigns for m in (c.starts_at, c.ends_at) if m > now]
        moments += [m for c in challenges for m in (c.starts_at, c.ends_at) if m > now]
        return TillSetup(
            coalition_id=row.coalition_id,
            currency=row.currency,
            timezone=ZoneInfo(row.timezone),
            setup=Setup(
                partner_id=partner_id,
                currency=row.currency,
                rules=rules,
                coalition=coalition_rules,
                campaigns=tuple(campaigns),
                challenges=tuple(c for c in challenges if c.counts(partner_id)),
                stamp_cards=tuple(card.card for card in cards),
            ),
            refresh_at=min(moments) if moments else None,
        )


@dataclass(frozen=True)
class TillSetup:
    coalition_id: uuid.UUID
    currency: str
    timezone: ZoneInfo
    setup: Setup
    refresh_at: datetime | None = None


@dataclass(frozen=True)
class BasketLine:
    sku: str
    category: str | None
    quantity: int
    unit_price: Decimal


async def earn_points(
    ledger: LedgerService,
    setups: TillSetups,
    partner_id: uuid.UUID,
    *,
    idempotency_key: str,
    card_number: str,
    amount: Decimal,
    receipt_ref: str | None,
    lines: list[BasketLine] | None,
    occurred_at: datetime | None,
) -> Posting:
    """Evaluates the programme's rules for this purchase (off the database)
    and posts the result in one statement. When the rules depend on what the
    member did before (tiers, caps, challenges, stamps, bonuses) the member's
    state is read first, and the posting is refused as stale if it changed."""
    check_idempotency_key(idempotency_key)
    check_card_number(card_number)
    check_text(receipt_ref, "receiptRef")
    till = await setups.get(partner_id)
    purchase_minor = parse_purchase_amount(amount, till.currency, "amount")
    basket = _check_basket(lines, till.currency)
    _check_occurred_at(occurred_at)
    purchase = Basket(
        partner_id=partner_id,
        amount=amount,
        currency=till.currency,
        lines=tuple(Line(b.sku, b.category, b.quantity, b.unit_price) for b in lines or []),
    )
    setup = till.setup

    async def post(within: AsyncConnection | None) -> Posting:
        now = datetime.now(UTC)
        expected_seq: int | None = None
        member = MemberState()
        today = now.astimezone(till.timezone).date()
        if setup.uses_member_state:
            read = await setups.member_state(partner_id, card_number, setup.coalition.tiers.window_days, within=within)
            if read.outcome is not None:
                raise DomainError(ErrorCode(read.outcome), _TILL_REFUSALS[read.outcome])
            expected_seq, today = read.seq, read.today
            basis_points = setup.coalition.tiers.basis == TierBasis.POINTS
            member = replace(read.state, qualifying=read.qualifying_points if basis_points else read.qualifying_spend)
        earned = evaluate(purchase, member, setup, today, now)
        request = EarnRequest(
            idempotency_key=idempotency_key,
            card_number=card_number,
            purchase_minor=purchase_minor,
            awards=earned.by_funder() or {partner_id: 0},
            explanation=earned.explanation,
            receipt_ref=receipt_ref,
            occurred_at=occurred_at,
            basket=basket,
            expected_seq=expected_seq,
            effects=_effects(earned, member),
        )
        return await ledger.earn(partner_id, request, within=within)

    try:
        return await post(None)
    except StaleMemberState:
        # Another purchase for this card changed its state meanwhile: queue
        # behind it on the member's activity row and decide again.
        async with setups.member_locked(partner_id, card_number) as connection:
            return await post(connection)


_TILL_REFUSALS = {
    "NOT_FOUND": "no such member",
    "MEMBER_NOT_ELIGIBLE": "this member cannot earn or spend points",
    "PARTNER_NOT_ACTIVE": "this partner is not active",
}


def _effects(earned: Earned, member: MemberState) -> dict[str, Any] | None:
    """What the purchase changes besides points; None when nothing."""
    effects: dict[str, Any] = {
        "stamps": [{"card": str(card), "stamps": stamps} for card, stamps in earned.stamps.items()],
        "coupons": [
            {"reward": str(grant.reward_id), "source": grant.source, "code": new_coupon_code()}
            for grant in earned.coupons
        ],
        "challenges": [{"challenge": str(c), "period": p.isoformat()} for c, p in earned.challenges],
    }
    if earned.tier_changed:
        effects["tier"] = earned.tier
    if earned.birthday_year is not None:
        effects["birthdayYear"] = earned.birthday_year
    if earned.referral_qualified:
        payout = earned.referral
        effects["referral"] = {
            "referrer": str(member.referrer_id),
            "points": payout.points if payout else 0,
            "line": payout.line if payout else "",
        }
    return effects if any(effects.values()) else None


# A till's clock may run a little fast; a purchase a day ahead is a wrong clock.
MAX_CLOCK_SKEW = timedelta(minutes=15)


def _check_occurred_at(occurred_at: datetime | None) -> None:
    if occurred_at is None:
        return
    if occurred_at.tzinfo is None:
        raise validation("occurredAt must carry a time zone offset", "occurredAt")
    if occurred_at > datetime.now(UTC) + MAX_CLOCK_SKEW:
        raise validation("occurredAt is in the future; check the till's clock", "occurredAt")


def _check_basket(lines: list[BasketLine] | None, currency: str) -> list[dict[str, Any]] | None:
    if lines is None:
        return None
    if len(lines) > MAX_BASKET_LINES:
        raise validation(f"a basket has at most {MAX_BASKET_LINES} lines", "lines")
    checked = []
    for index, line in enumerate(lines):
        where = ("lines", str(index))
        if not 1 <= len(line.sku) <= 64:
            raise validation("sku must be 1-64 characters", *where, "sku")
        if line.category is not None and not 1 <= len(line.category) <= 64:
            raise validation("category must be 1-64 characters", *where, "category")
        if not 1 <= line.quantity <= 10_000:
            raise validation("quantity must be between 1 and 10000", *where, "quantity")
        price = parse_purchase_amount(line.unit_price, currency, *where, "unitPrice")
        checked.append({"sku": line.sku, "category": line.category, "quantity": line.quantity, "unitPrice": price})
    return checked


# ---------- managing the programme (MANAGER keys for their shop, the operator for all) ----------


async def _partner_in_coalition(session: AsyncSession, principal: Principal, partner_id: uuid.UUID) -> PartnerRecord:
    found = await coalitions.partner_for_update(session, partner_id, principal.coalition_id)
    if found is None:
        raise DomainError(ErrorCode.NOT_FOUND, "no such partner", ("partnerId",))
    return found


async def set_earn_rules(
    session: AsyncSession, principal: Principal, partner_id: uuid.UUID, rules: EarnRules
) -> EarnRules:
    """A partner's base and category rates, thresholds and cap, kept within
    the coalition's earn-rate band."""
    await _partner_in_coalition(session, principal, partner_id)
    limits = (await programme.current_rules(session, principal.coalition_id)).limits
    check_earn_rules(rules, limits)
    before = await repository.earn_rules(session, partner_id, for_update=True)
    assert before is not None
    await repository.save_earn_rules(session, partner_id, rules)
    await record_change(
        session,
        principal,
        "partner.earn_rules.save",
        partner_id,
        before={"baseRate": str(before.base_rate), **repository.earn_rules_document(before)},
        after={"baseRate": str(rules.base_rate), **repository.earn_rules_document(rules)},
    )
    return rules


async def set_payout_account(
    session: AsyncSession, principal: Principal, partner_id: uuid.UUID, iban: str | None
) -> str | None:
    """The account the coalition pays the partner into (None: remove it; the
    partner is then listed as not payable in payout files)."""
    await _partner_in_coalition(session, principal, partner_id)
    compact = check_iban(iban)
    before = await repository.set_iban(session, partner_id, compact)
    await record_change(session, principal, "partner.payout_account", partner_id,
                        before={"iban": before}, after={"iban": compact})  # fmt: skip
    return compact


async def save_coalition_rules(session: AsyncSession, principal: Principal, rules: CoalitionRules) -> CoalitionRules:
    """The operator's coalition-wide rules. New earn-rate limits must hold for
    every partner's current rules, or nothing is saved."""
    check_coalition_rules(rules)
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
    return after


def _campaign_snapshot(campaign: Campaign) -> dict[str, Any]:
    snapshot: dict[str, Any] = msgspec.to_builtins(campaign)
    return snapshot


async def create_campaign(session: AsyncSession, principal: Principal, campaign: Campaign) -> Campaign:
    coalition_rules = await programme.current_rules(session, principal.coalition_id)
    earn_rules = None
    if campaign.partner_id is not None:
        await _partner_in_coalition(session, principal, campaign.partner_id)
        earn_rules = await repository.earn_rules(session, campaign.partner_id)
    check_campaign(campaign, earn_rules, coalition_rules.limits)
    unknown = set(campaign.tiers) - {tier.code for tier in coalition_rules.tiers.tiers}
    if unknown:
        raise validation(f"no such tier: {', '.join(sorted(unknown))}", "tiers")
    if campaign.reward_id is not None:
        await _reward_for(session, principal, campaign.reward_id, campaign.partner_id)
    saved = await repository.insert_campaign(session, principal.coalition_id, campaign)
    await record_change(session, principal, "campaign.create", saved.id, after=_campaign_snapshot(saved))
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
        await _partner_in_coalition(session, principal, partner_id)
    saved = await repository.insert_challenge(session, principal.coalition_id, challenge)
    await record_change(session, principal, "challenge.create", saved.id, after=msgspec.to_builtins(saved))
    return saved


async def end_challenge(session: AsyncSession, principal: Principal, challenge_id: uuid.UUID) -> None:
    if not await repository.end_challenge(session, challenge_id, principal.coalition_id, datetime.now(UTC)):
        raise DomainError(ErrorCode.NOT_FOUND, "no such running challenge", ("id",))
    await record_change(session, principal, "challenge.end", challenge_id)


async def _reward_for(
    session: AsyncSession, principal: Principal, reward_id: uuid.UUID, partner_id: uuid.UUID | None
) -> RewardRecord:
    """A reward of ``partner_id`` (or, for the coalition's own campaigns, of any partner)."""
    found = await repository.rewards_by_ids(session, [reward_id])
    if not found:
        raise DomainError(ErrorCode.NOT_FOUND, "no such reward", ("rewardId",))
    reward = found[0]
    owner = await coalitions.partners_by_ids(session, [reward.partner_id])
    if not owner or owner[0].coalition_id != principal.coalition_id:
        raise DomainError(ErrorCode.NOT_FOUND, "no such reward", ("rewardId",))
    if partner_id is not None and reward.partner_id != partner_id:
        raise DomainError(ErrorCode.FORBIDDEN, "the reward belongs to another partner", ("rewardId",))
    return reward


async def create_stamp_card(
    session: AsyncSession, principal: Principal, partner_id: uuid.UUID, card: StampCard
) -> StampCardRecord:
    await _partner_in_coalition(session, principal, partner_id)
    check_stamp_card(card)
    await _reward_for(session, principal, card.reward_id, partner_id)
    saved = await repository.insert_stamp_card(session, partner_id, card)
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
    await _partner_in_coalition(session, principal, partner_id)
    if not await repository.retire_stamp_card(session, card_id, partner_id):
        raise DomainError(ErrorCode.NOT_FOUND, "no such active stamp card", ("id",))
    await record_change(
        session,
        principal,
        "stamp_card.retire",
        card_id,
        before={"active": True},
        after={"active": False},
    )


REWARD_KINDS = ("FREE_PRODUCT", "FIXED_DISCOUNT", "PERCENT_DISCOUNT")


@dataclass(frozen=True)
class RewardSpec:
    name: str
    kind: str
    points_cost: int | None
    value: Decimal | None
    valid_days: int
    active: bool = True


def _check_reward(spec: RewardSpec, currency: str) -> RewardSpec:
    check_name(spec.name)
    if spec.kind not in REWARD_KINDS:
        raise validation(f"kind must be one of {', '.join(REWARD_KINDS)}", "kind")
    if spec.points_cost is not None and not 1 <= spec.points_cost <= 10_000_000:
        raise validation("pointsCost must be between 1 and 10000000", "pointsCost")
    if spec.kind == "FREE_PRODUCT" and spec.value is not None:
        raise validation("a free product has no value", "value")
    if spec.kind == "FIXED_DISCOUNT":
        if spec.value is None or spec.value <= 0:
            raise validation("a fixed discount needs a positive value", "value")
        parse_purchase_amount(spec.value, currency, "value")
    if spec.kind == "PERCENT_DISCOUNT" and (spec.value is None or not Decimal(1) <= spec.value <= Decimal(100)):
        raise validation("a percentage discount needs a value between 1 and 100", "value")
    if not 1 <= spec.valid_days <= 3650:
        raise validation("validDays must be between 1 and 3650", "validDays")
    return spec


def _reward_snapshot(reward: RewardRecord) -> dict[str, Any]:
    snapshot: dict[str, Any] = msgspec.to_builtins(reward)
    return snapshot


async def create_reward(
    session: AsyncSession, principal: Principal, partner_id: uuid.UUID, spec: RewardSpec
) -> RewardRecord:
    await _partner_in_coalition(session, principal, partner_id)
    coalition = await coalitions.coalition_by_id(session, principal.coalition_id)
    assert coalition is not None
    _check_reward(spec, coalition.currency)
    reward = await repository.insert_reward(
        session,
        partner_id=partner_id,
        name=spec.name.strip(),
        kind=spec.kind,
        points_cost=spec.points_cost,
        value=spec.value,
        valid_days=spec.valid_days,
        active=spec.active,
    )
    await record_change(session, principal, "reward.create", reward.id, after=_reward_snapshot(reward))
    return reward


async def update_reward(
    session: AsyncSession, principal: Principal, reward_id: uuid.UUID, spec: RewardSpec
) -> RewardRecord:
    before = await _reward_for(session, principal, reward_id, principal.partner_id)
    coalition = await coalitions.coalition_by_id(session, principal.coalition_id)
    assert coalition is not None
    _check_reward(spec, coalition.currency)
    after = await repository.update_reward(
        session,
        reward_id,
        name=spec.name.strip(),
        kind=spec.kind,
        points_cost=spec.points_cost,
        value=spec.value,
        valid_days=spec.valid_days,
        active=spec.active,
    )
    assert after is not None
    await record_change(
        session,
        principal,
        "reward.update",
        reward_id,
        before=_reward_snapshot(before),
        after=_reward_snapshot(after),
    )
    return after


# ---------- rewards bought with points, coupons burnt at the till ----------


async def buy_reward(
    session: AsyncSession, member: MemberRecord, reward_id: uuid.UUID, idempotency_key: str
) -> tuple[Posting, CouponRecord]:
    """A member spends points on a partner's reward: a REDEEM at that partner
    and a single-use coupon, in one transaction. A repeat of the same key
    returns the same coupon."""
    check_idempotency_key(idempotency_key)
    found = await repository.rewards_by_ids(session, [reward_id])
    reward = found[0] if found else None
    partner = (await coalitions.partners_by_ids(session, [reward.partner_id]))[0] if reward else None
    if reward is None or partner is None or partner.coalition_id != member.coalition_id:
        raise DomainError(ErrorCode.NOT_FOUND, "no such reward", ("rewardId",))
    if not reward.active or reward.points_cost is None:
        raise DomainError(ErrorCode.CONFLICT, "this reward cannot be bought with points", ("rewardId",))
    key = f"member:{member.id}:{idempotency_key}"
    fingerprint = request_hash("buyReward", {"reward": str(reward_id)})
    posting = await redeem_in_session(
        session, reward.partner_id, key, fingerprint, member.card_number, reward.points_cost, f"reward:{reward_id}"
    )
    assert posting.transaction_id is not None
    if posting.outcome == "REPLAYED":
        coupons = await repository.coupons_of_transaction(session, posting.transaction_id)
        return posting, coupons[0]
    coupon = await repository.insert_coupon(
        session,
        coalition_id=member.coalition_id,
        member_id=member.id,
        partner_id=reward.partner_id,
        reward_id=reward.id,
        code=new_coupon_code(),
        source="PURCHASE",
        expires_at=datetime.now(UTC) + timedelta(days=reward.valid_days),
        transaction_id=posting.transaction_id,
    )
    return posting, coupon


async def use_coupon(
    session: AsyncSession, principal: Principal, code: str, receipt_ref: str | None
) -> tuple[CouponRecord, RewardRecord]:
    """The till checks and burns a coupon: once, at the partner it is for, before it expires."""
    check_text(receipt_ref, "receiptRef")
    coupon = await repository.coupon_for_update(session, principal.coalition_id, normalise_coupon(code))
    if coupon is None:
        raise DomainError(ErrorCode.NOT_FOUND, "no such coupon", ("code",))
    if coupon.partner_id != principal.partner_id:
        raise DomainError(ErrorCode.FORBIDDEN, "this coupon is for another partner", ("code",))
    if coupon.status == "USED":
        assert coupon.used_at is not None
        raise DomainError(
            ErrorCode.CONFLICT, f"this coupon was already used on {coupon.used_at:%Y-%m-%d %H:%M} UTC", ("code",)
        )
    if coupon.expires_at <= datetime.now(UTC):
        raise DomainError(ErrorCode.CONFLICT, "this coupon has expired", ("code",))
    used = await repository.use_coupon(session, coupon.id, receipt_ref)
    reward = (await repository.rewards_by_ids(session, [coupon.reward_id]))[0]
    return used, reward
