"""Random sequences of enrol / earn / redeem / reverse / donate / transfer
across partners and members keep every invariant, agree step by step with the
ledger's rules (platform/ledger/rules.py), and ``ledger verify`` agrees.
Purchases of 100.00 or more also earn a coalition-funded bonus, so earns carry
lots from two issuers."""

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from sqlalchemy import select

from coalition.partners import programme as partner_programme
from coalition.partners.earning.model import Campaign, CampaignKind
from coalition.platform.errors import DomainError, ErrorCode
from coalition.platform.ledger import rules
from coalition.platform.ledger.tables import lot_consumptions, lots
from coalition.platform.programme import service as programme
from tests.support.town import Town


@dataclass
class ModelMember:
    id: uuid.UUID
    card: str
    lots: dict[uuid.UUID, rules.Lot] = field(default_factory=dict)
    # transaction id -> (kind, points, partner, lot consumed in order)
    postings: dict[uuid.UUID, tuple[str, int, uuid.UUID, list[tuple[rules.Lot, int]]]] = field(default_factory=dict)
    reversed: dict[uuid.UUID, int] = field(default_factory=dict)


class LedgerMachine(RuleBasedStateMachine):
    """Drives the real ledger on one event loop and mirrors it in the pure model."""

    loop: asyncio.AbstractEventLoop
    engine = None
    ledger = None
    setups = None

    def run(self, coroutine):
        return self.loop.run_until_complete(coroutine)

    @initialize()
    def start(self) -> None:
        self.town = self.run(Town(self.engine, self.ledger, self.setups).create(expiry_months=None))
        self.partners = [self.run(self.town.partner(f"P{i}", rate))[0] for i, rate in enumerate(["1", "2.5", "0.5"])]
        self.members: list[ModelMember] = []
        self.charity = self.run(self._coalition_programme())

    async def _coalition_programme(self) -> uuid.UUID:
        now = datetime.now(UTC)
        bonus = Campaign(
            uuid.uuid4(), "Big basket", None, CampaignKind.FIXED_BONUS, now - timedelta(days=1),
            now + timedelta(days=1), bonus_points=25, min_spend=Decimal(100),
        )  # fmt: skip
        async with self.town.sessions.begin() as session:
            await partner_programme.create_campaign(session, self.town.operator, bonus)
            charity = await programme.create_charity(session, self.town.operator, "Food bank", None)
        return charity.id

    async def _lots_of(self, member_id):
        async with self.town.engine.connect() as c:
            rows = await c.execute(select(lots).where(lots.c.member_id == member_id))
            return {
                r.id: rules.Lot(r.id, r.points, r.remaining, r.available_at, r.expires_at, r.issuer_partner_id)
                for r in rows
            }

    @rule(partner=st.integers(0, 2))
    def enrol(self, partner: int) -> None:
        member_id, card = self.run(self.town.member(self.partners[partner]))
        self.members.append(ModelMember(id=member_id, card=card))

    @precondition(lambda self: self.members)
    @rule(data=st.data(), amount=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("500"), places=2))
    def earn(self, data, amount: Decimal) -> None:
        index = data.draw(st.integers(0, len(self.members) - 1))
        partner = data.draw(st.sampled_from(self.partners))
        member = self.members[index]
        posting = self.run(self.town.earn(partner, member.card, str(amount)))
        before = set(member.lots)
        member.lots = self.run(self._lots_of(posting.member_id))
        new = [member.lots[i] for i in set(member.lots) - before]
        shop_points = posting.points - (25 if amount >= 100 else 0)
        assert sorted(((lot.issuer, lot.points) for lot in new), key=str) == sorted(
            [(partner, shop_points)] * (shop_points > 0) + [(None, 25)] * (amount >= 100), key=str
        )
        member.postings[posting.transaction_id] = ("EARN", posting.points, partner, [(lot, lot.points) for lot in new])
        self._check_figures(member, posting)

    @precondition(lambda self: self.members)
    @rule(data=st.data(), points=st.integers(1, 600))
    def redeem(self, data, points: int) -> None:
        member = self.members[data.draw(st.integers(0, len(self.members) - 1))]
        partner = data.draw(st.sampled_from(self.partners))
        posting, expected = self._spend(member, points, self.town.redeem(partner, member.card, points))
        if posting is not None:
            member.postings[posting.transaction_id] = ("REDEEM", -points, partner, expected)

    @precondition(lambda self: self.members)
    @rule(data=st.data(), points=st.integers(1, 300))
    def donate(self, data, points: int) -> None:
        member = self.members[data.draw(st.integers(0, len(self.members) - 1))]
        donation = self.town.ledger.donate(
            member.id, idempotency_key=uuid.uuid4().hex, charity_id=self.charity, points=points, match=0
        )
        self._spend(member, points, donation)

    @precondition(lambda self: len(self.members) >= 2)
    @rule(data=st.data(), points=st.integers(1, 300))
    def transfer(self, data, points: int) -> None:
        sender, receiver = data.draw(st.permutations(self.members))[:2]
        transfer = self.town.ledger.transfer(
            sender.id, idempotency_key=uuid.uuid4().hex, to_card=receiver.card, points=points, max_per_day=10**9
        )
        posting, expected = self._spend(sender, points, transfer)
        if posting is None:
            return
        before = set(receiver.lots)
        receiver.lots = self.run(self._lots_of(receiver.id))
        received = sorted(
            (lot.issuer or uuid.UUID(int=0), lot.points) for i, lot in receiver.lots.items() if i not in before
        )
        assert received == sorted((lot.issuer or uuid.UUID(int=0), take) for lot, take in expected)

    def _spend_plan(self, member: ModelMember, points: int):
        try:
            return rules.allocate_redemption(list(member.lots.values()), points, datetime.now(UTC))
        except rules.InsufficientPoints:
            return None

    def _spend(self, member: ModelMember, points: int, posting_coroutine):
        """Posts a spend and checks it against the model: refused exactly when the
        model finds too few points, else it consumed the lots the model picks, in
        order. Returns the posting and the model's plan (None, None if refused)."""
        expected = self._spend_plan(member, points)
        try:
            posting = self.run(posting_coroutine)
        except DomainError as refused:
            assert refused.code == ErrorCode.INSUFFICIENT_POINTS
            assert expected is None
            return None, None
        assert expected is not None
        assert self.run(self._consumed(posting.transaction_id)) == [(lot.id, take) for lot, take in expected]
        rules.consume(member.lots, expected)
        self._check_figures(member, posting)
        return posting, expected

    async def _consumed(self, transaction_id):
        async with self.town.engine.connect() as c:
            rows = await c.execute(
                select(lot_consumptions.c.lot_id, lot_consumptions.c.points, lots.c.expires_at, lots.c.available_at)
                .join(
                    lots, (lots.c.id == lot_consumptions.c.lot_id) & (lots.c.member_id == lot_consumptions.c.member_id)
                )
                .where(lot_consumptions.c.transaction_id == transaction_id)
            )
            found = list(rows)
        by_id = {r.lot_id: r for r in found}
        ordered = sorted(found, key=lambda r: rules.fifo_key(rules.Lot(r.lot_id, 0, 0, r.available_at, r.expires_at)))
        return [(r.lot_id, by_id[r.lot_id].points) for r in ordered]

    @precondition(lambda self: any(m.postings for m in self.members))
    @rule(data=st.data(), whole=st.booleans(), share=st.integers(1, 100))
    def reverse(self, data, whole: bool, share: int) -> None:
        member = data.draw(st.sampled_from([m for m in self.members if m.postings]))
        transaction_id = data.draw(st.sampled_from(sorted(member.postings)))
        kind, points, partner, consumed = member.postings[transaction_id]
        open_points = rules.reversible(points, member.reversed.get(transaction_id, 0))
        requested = None if whole else max(1, abs(points) * share // 100)
        if kind == "EARN":
            lot_remaining = sum(member.lots[lot.id].remaining for lot, _ in consumed)
            if open_points <= 0 or (requested or 0) > open_points:
                expected_error, expected = ErrorCode.ALREADY_REVERSED, 0
            else:
                expected = rules.earn_clawback(requested, open_points, lot_remaining)
                expected_error = None if expected else ErrorCode.INSUFFICIENT_POINTS
        else:
            want = open_points if requested is None else requested
            expected_error = ErrorCode.ALREADY_REVERSED if open_points <= 0 or want > open_points else None
            expected = want
        try:
            posting = self.run(self.town.reverse(partner, transaction_id, requested))
        except DomainError as refused:
            assert refused.code == expected_error
            return
        assert expected_error is None
        assert abs(posting.points) == expected
        member.reversed[transaction_id] = member.reversed.get(transaction_id, 0) + expected
        if kind == "REDEEM":
            plan = rules.restoration_plan(self._net_consumed(member, transaction_id), expected)
            for lot, take in plan:
                member.lots[lot.id] = rules.Lot(**{**lot.__dict__, "remaining": member.lots[lot.id].remaining + take})
            member.postings[transaction_id] = (kind, points, partner, self._after_restore(consumed, plan))
        member.lots = self.run(self._lots_of(posting.member_id))
        self._check_figures(member, posting)

    @staticmethod
    def _net_consumed(member, transaction_id):
        return member.postings[transaction_id][3]

    @staticmethod
    def _after_restore(consumed, plan):
        restored = {lot.id: take for lot, take in plan}
        return [(lot, take - restored.get(lot.id, 0)) for lot, take in consumed]

    def _check_figures(self, member: ModelMember, posting) -> None:
        figures = rules.wallet_figures(list(member.lots.values()), datetime.now(UTC))
        assert (posting.balance, posting.available, posting.pending) == (
            figures.balance,
            figures.available,
            figures.pending,
        )

    @invariant()
    def ledger_is_sound(self) -> None:
        if not hasattr(self, "town"):
            return

        assert self.run(self.town.ledger_violations()) == []


@pytest.fixture(scope="session")
async def session_loop() -> asyncio.AbstractEventLoop:
    return asyncio.get_running_loop()


@pytest.mark.slow
def test_random_postings_keep_every_invariant(session_loop, engine, ledger, till_setups) -> None:
    # Hypothesis drives the machine synchronously; the engine's connections
    # belong to the session's event loop, so every step runs on that loop.
    loop = session_loop

    class Machine(LedgerMachine):
        pass

    Machine.loop = loop
    Machine.engine = engine
    Machine.ledger = ledger
    Machine.setups = till_setups
    Machine.TestCase.settings = settings(
        max_examples=25, stateful_step_count=30, deadline=None, suppress_health_check=list(HealthCheck)
    )
    Machine.TestCase().runTest()
