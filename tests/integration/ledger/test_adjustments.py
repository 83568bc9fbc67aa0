"""The operator's adjustments, the ledger's newest write path: racing copies
post once, racing takings never overdraw a wallet, each posting is audited
once; and random sequences of adjustments among earns and redemptions keep
every invariant and agree with a plain model of the wallet."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlalchemy import text

from coalition.platform.errors import DomainError, ErrorCode
from tests.support.town import Town, adjust


async def _adjustments_account(town: Town) -> int:
    """What the coalition's ADJUSTMENTS account has given (negative) or taken back."""
    async with town.engine.connect() as c:
        found = await c.scalar(
            text(
                "SELECT coalesce(sum(e.amount), 0) FROM ledger_entries e JOIN accounts a ON a.id = e.account_id"
                " WHERE a.coalition_id = :c AND a.kind = 'ADJUSTMENTS'"
            ),
            {"c": town.coalition_id},
        )
    return int(found)


async def _audited(town: Town, member_id: uuid.UUID) -> int:
    async with town.engine.connect() as c:
        found = await c.scalar(
            text("SELECT count(*) FROM audit_log WHERE subject_id = :m AND action = 'member.adjust'"), {"m": member_id}
        )
    return int(found)


async def test_twenty_copies_of_one_adjustment_post_once_and_are_audited_once(town: Town) -> None:
    shop, _ = await town.partner(rate="1")
    member_id, _ = await town.member(shop)
    results = await asyncio.gather(*(adjust(town, member_id, 70, key="ticket-1") for _ in range(20)))
    assert len({r.transaction_id for r in results}) == 1
    assert sum(r.outcome == "POSTED" for r in results) == 1
    assert {r.balance for r in results} == {70}
    assert await _audited(town, member_id) == 1
    assert await _adjustments_account(town) == -70
    with pytest.raises(DomainError) as reused:
        await adjust(town, member_id, 71, key="ticket-1")
    assert reused.value.code is ErrorCode.IDEMPOTENCY_CONFLICT
    assert await town.ledger_violations() == []


async def test_takings_racing_with_redemptions_never_overdraw_the_wallet(town: Town) -> None:
    shop, _ = await town.partner(rate="1")
    member_id, card = await town.member(shop)
    await town.earn(shop, card, "100")
    await adjust(town, member_id, 100)  # 200 points: one lot from the shop, one from the coalition

    async def attempt(n: int) -> object:
        try:
            if n % 2:
                return await adjust(town, member_id, -10)
            return await town.redeem(shop, card, 10)
        except DomainError as refused:
            return refused.code

    results = await asyncio.gather(*(attempt(n) for n in range(40)))
    made = [r for r in results if not isinstance(r, ErrorCode)]
    assert len(made) == 20
    assert {r for r in results if isinstance(r, ErrorCode)} == {ErrorCode.INSUFFICIENT_POINTS}
    assert min(r.balance for r in made) == 0
    taken = sum(1 for r in made if r.kind == "ADJUST")
    assert await _audited(town, member_id) == 1 + taken
    assert await _adjustments_account(town) == -100 + 10 * taken
    assert await town.ledger_violations() == []


async def test_refusals_post_nothing(town: Town) -> None:
    shop, _ = await town.partner(rate="1")
    member_id, _ = await town.member(shop)
    for points, reason, code in ((0, "x", ErrorCode.VALIDATION), (5, " ", ErrorCode.VALIDATION),
                                 (-1, "x", ErrorCode.INSUFFICIENT_POINTS)):  # fmt: skip
        with pytest.raises(DomainError) as refused:
            await adjust(town, member_id, points, reason=reason)
        assert refused.value.code is code
    with pytest.raises(DomainError) as unknown:
        await adjust(town, uuid.uuid4(), 5)
    assert unknown.value.code is ErrorCode.NOT_FOUND
    assert await _audited(town, member_id) == 0
    assert await _adjustments_account(town) == 0


class AdjustmentMachine(RuleBasedStateMachine):
    """Adjustments among earns and redemptions, mirrored by the points the wallet should hold."""

    loop: asyncio.AbstractEventLoop
    engine = None
    ledger = None
    setups = None

    def run(self, coroutine):  # type: ignore[no-untyped-def]
        return self.loop.run_until_complete(coroutine)

    @initialize()
    def start(self) -> None:
        self.town = self.run(Town(self.engine, self.ledger, self.setups).create(expiry_months=None))
        self.shop = self.run(self.town.partner("Shop", "1"))[0]
        self.member_id, self.card = self.run(self.town.member(self.shop))
        self.points = 0
        self.adjusted = 0

    def _try(self, coroutine) -> ErrorCode | None:  # type: ignore[no-untyped-def]
        try:
            self.run(coroutine)
        except DomainError as refused:
            return refused.code
        return None

    @rule(amount=st.integers(min_value=1, max_value=300))
    def earn(self, amount: int) -> None:
        self.run(self.town.earn(self.shop, self.card, str(amount)))
        self.points += amount

    @rule(points=st.integers(min_value=1, max_value=300))
    def redeem(self, points: int) -> None:
        refused = self._try(self.town.redeem(self.shop, self.card, points))
        assert refused is (ErrorCode.INSUFFICIENT_POINTS if points > self.points else None)
        if refused is None:
            self.points -= points

    @rule(points=st.integers(min_value=-300, max_value=300).filter(bool))
    def adjust(self, points: int) -> None:
        refused = self._try(adjust(self.town, self.member_id, points))
        assert refused is (ErrorCode.INSUFFICIENT_POINTS if -points > self.points else None)
        if refused is None:
            self.points += points
            self.adjusted += points

    @invariant()
    def agrees_with_the_model(self) -> None:
        if not hasattr(self, "town"):
            return

        async def figures() -> tuple[int, int]:
            async with self.town.engine.connect() as c:
                balance = await c.scalar(text("SELECT balance FROM wallets WHERE member_id = :m"),
                                         {"m": self.member_id})  # fmt: skip
            return int(balance), await _adjustments_account(self.town)

        assert self.run(figures()) == (self.points, -self.adjusted)
        assert self.run(self.town.ledger_violations()) == []


@pytest.fixture(scope="session")
async def session_loop() -> asyncio.AbstractEventLoop:
    return asyncio.get_running_loop()


@pytest.mark.slow
def test_random_adjustments_keep_every_invariant(session_loop, engine, ledger, till_setups) -> None:  # type: ignore[no-untyped-def]
    # Hypothesis drives the machine synchronously, on the loop the engine's connections belong to.
    class Machine(AdjustmentMachine):
        pass

    Machine.loop = session_loop
    Machine.engine = engine
    Machine.ledger = ledger
    Machine.setups = till_setups
    Machine.TestCase.settings = settings(
        max_examples=10, stateful_step_count=20, deadline=None, suppress_health_check=list(HealthCheck)
    )
    Machine.TestCase().runTest()
