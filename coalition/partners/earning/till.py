"""The till's earn: the cached earn setups of each partner, the basket's
checks, and earn_points, which evaluates the rules and posts the result."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from coalition.partners.earning.engine import evaluate
from coalition.partners.earning.model import Basket, Campaign, Earned, Line, MemberState, Setup
from coalition.partners.repositories import programme as programme_repository
from coalition.partners.repositories import till as till_repository
from coalition.partners.repositories.till import StateRead
from coalition.partners.rewards import new_coupon_code
from coalition.platform.errors import DomainError, ErrorCode, validation
from coalition.platform.ledger.repository import Posting
from coalition.platform.ledger.service import (
    EarnRequest,
    LedgerService,
    StaleMemberState,
    check_card_number,
    check_idempotency_key,
    check_text,
)
from coalition.platform.money import parse_purchase_amount
from coalition.platform.programme import service as programme
from coalition.platform.programme.rules import TierBasis
from coalition.platform.runtime.caching import Remembered

MAX_BASKET_LINES = 500


class TillSetups:
    """A partner's earn rules with its coalition's rules, running campaigns,
    challenges and stamp cards, kept in memory so that evaluating them costs
    no lookup. Saving any rule forgets them here and, through Redis, in every
    other process; ``ttl`` bounds staleness if a broadcast is missed."""

    def __init__(self, engine: AsyncEngine, ttl: float = 30.0) -> None:
        self._engine = engine
        self._autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._setups: Remembered[uuid.UUID, TillSetup] = Remembered(self._load, ttl=ttl)
        self._treated: Remembered[uuid.UUID, tuple[bool, frozenset[str]]] = Remembered(self._load_treated, ttl=ttl)

    async def get(self, partner_id: uuid.UUID) -> TillSetup:
        setup = await self._setups.get(partner_id)
        if setup.refresh_at is not None and datetime.now(UTC) >= setup.refresh_at:
            self._setups.forget(partner_id)
            setup = await self._setups.get(partner_id)
        return setup

    def forget_all(self) -> None:
        self._setups.forget_all()
        self._treated.forget_all()

    async def aimed_at(self, campaigns: tuple[Campaign, ...], card_number: str, now: datetime) -> frozenset[uuid.UUID]:
        """The running aimed campaigns this card gets (its treatment arm), from
        memory: the arms never change once drawn, so the till asks no more."""
        found = set()
        for campaign in campaigns:
            if campaign.audience is None or not campaign.running(now):
                continue
            drawn, cards = await self._treated.get(campaign.id)
            if not drawn:  # the worker draws it within the minute: ask again then
                self._treated.forget(campaign.id)
            if card_number in cards:
                found.add(campaign.id)
        return frozenset(found)

    async def _load_treated(self, campaign_id: uuid.UUID) -> tuple[bool, frozenset[str]]:
        async with self._autocommit.connect() as connection:
            return await till_repository.treated_cards(connection, campaign_id)

    async def member_state(
        self, partner_id: uuid.UUID, card_number: str, window_days: int, *, within: AsyncConnection | None = None
    ) -> StateRead:
        """What the earn engine needs to know of the member: one statement."""
        if within is not None:
            return await till_repository.member_state(within, partner_id, card_number, window_days)
        async with self._autocommit.connect() as connection:
            return await till_repository.member_state(connection, partner_id, card_number, window_days)

    @contextlib.asynccontextmanager
    async def member_locked(self, partner_id: uuid.UUID, card_number: str) -> AsyncIterator[AsyncConnection]:
        """A transaction holding the member's activity row, for purchases that
        raced: each decides in turn on the state the previous one left."""
        async with self._engine.begin() as connection:
            await till_repository.lock_member_activity(connection, partner_id, card_number)
            yield connection

    async def _load(self, partner_id: uuid.UUID) -> TillSetup:
        now = datetime.now(UTC)
        async with self._engine.connect() as connection:
            row = await till_repository.till_partner(connection, partner_id)
            rules = await programme_repository.earn_rules(connection, partner_id)
            assert rules is not None
            coalition_rules = await programme.current_rules(connection, row.coalition_id)
            campaigns = await programme_repository.campaign_list(
                connection, row.coalition_id, partner_id=partner_id, ending_after=now
            )
            challenges = await programme_repository.challenge_list(connection, row.coalition_id, now)
            cards = await programme_repository.stamp_card_list(connection, [partner_id], active_only=True)
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
    basket = _check_basket(lines, till.currency, purchase_minor)
    _check_occurred_at(occurred_at)
    purchase = Basket(
        partner_id=partner_id,
        amount=amount,
        currency=till.currency,
        lines=tuple(Line(b.sku, b.category, b.quantity, b.unit_price) for b in lines or []),
    )
    setup = till.setup
    aimed_at = await setups.aimed_at(setup.campaigns, card_number, datetime.now(UTC))

    async def post(within: AsyncConnection | None) -> Posting:
        now = datetime.now(UTC)
        expected_seq: int | None = None
        member = MemberState(campaigns=aimed_at)
        today = now.astimezone(till.timezone).date()
        if setup.uses_member_state:
            read = await setups.member_state(partner_id, card_number, setup.coalition.tiers.window_days, within=within)
            if read.outcome is not None:
                raise DomainError(ErrorCode(read.outcome), _TILL_REFUSALS[read.outcome])
            expected_seq, today = read.seq, read.today
            basis_points = setup.coalition.tiers.basis == TierBasis.POINTS
            qualifying = read.qualifying_points if basis_points else read.qualifying_spend
            member = replace(read.state, qualifying=qualifying, campaigns=aimed_at)
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
    "MEMBER_BLOCKED": "this member's card is blocked: ask them to contact the coalition",
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


def _check_basket(lines: list[BasketLine] | None, currency: str, purchase_minor: int) -> list[dict[str, Any]] | None:
    """The lines may describe part of the purchase (the rest earns at the
    shop's base rate), never more than was paid."""
    if lines is None:
        return None
    if len(lines) > MAX_BASKET_LINES:
        raise validation(f"a basket has at most {MAX_BASKET_LINES} lines", "lines")
    checked = []
    lines_minor = 0
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
        lines_minor += line.quantity * price
    if lines_minor > purchase_minor:
        raise validation("the lines add up to more than the amount", "lines")
    return checked
