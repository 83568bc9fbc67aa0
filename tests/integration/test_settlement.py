"""Settling a day of real postings: a hand-computed town, both funding
models, and what the database guarantees about runs."""

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from coalition.partners import programme as partner_programme
from coalition.platform.programme.rules import Bonuses, CoalitionRulesChanges
from coalition.settlement import service as settlement
from coalition.settlement.repository import lines_of, obligations_of
from coalition.settlement.rules import FundingModel
from coalition.settlement.tables import settlement_runs

TOMORROW = datetime.now(UTC) + timedelta(days=1)


async def hand_computed_town(town):
    """Three shops and the coalition; every figure below is worked out by hand.

    A (1 pt/EUR) pays 0.001 EUR per point issued; C pays 2% of what is redeemed
    there; each new member gets a 30-point welcome bonus from the coalition.
    A third member's 100 points from C expire the same day.
    """
    from coalition.platform.ledger.service import expire_due
    from tests.integration.test_expiry_and_nightly import age_lots

    async with town.sessions.begin() as session:
        await partner_programme.save_coalition_rules(
            session, town.operator, CoalitionRulesChanges(bonuses=Bonuses(signup=30))
        )
    a, _ = await town.partner("A", "1")
    b, _ = await town.partner("B", "2")
    c, _ = await town.partner("C", "1")
    async with town.sessions.begin() as session:
        await settlement.set_contract(session, town.operator, a, fee_per_point_issued=Decimal("0.001"),
                                      fee_percent_of_redemption=Decimal(0))  # fmt: skip
        await settlement.set_contract(session, town.operator, c, fee_per_point_issued=Decimal(0),
                                      fee_percent_of_redemption=Decimal(2))  # fmt: skip
    _, m1 = await town.member(a)  # +30 from the coalition
    _, m2 = await town.member(b)  # +30
    earn_a = await town.earn(a, m1, "500")  # 500 of A's points
    await town.earn(b, m2, "100")  # 200 of B's
    at_b = await town.redeem(b, m1, 300)  # the bonus 30 first (it expires first), then 270 of A's
    await town.redeem(a, m2, 150)  # 30 bonus + 120 of B's
    await town.redeem(c, m2, 50)  # 50 of B's
    await town.reverse(b, at_b.transaction_id, 100)  # B refunds 100: A's points go back
    await town.reverse(a, earn_a.transaction_id, 50)  # a returned item at A: 50 of A's points clawed back
    _, m3 = await town.member(c)  # +30 from the coalition
    await town.earn(c, m3, "100")  # 100 of C's
    await age_lots(town, m3, timedelta(seconds=-1))
    assert await expire_due(town.engine, town.coalition_id) == (1, 130)  # C's 100 and the coalition's 30
    return a, b, c


async def figures(town, run):
    async with town.engine.connect() as connection:
        lines = (await lines_of(connection, [run.id]))[run.id]
        obligations = (await obligations_of(connection, [run.id]))[run.id]
    return (
        {line.partner_id: (line.points_issued, line.points_redeemed, line.receivable_minor, line.payable_minor,
                           line.fees_minor, line.net_minor) for line in lines},
        {(o.debtor_partner_id, o.creditor_partner_id, o.reason.value, o.points, o.amount_minor) for o in obligations},
    )  # fmt: skip


async def test_a_hand_computed_day_under_both_funding_models(town) -> None:
    a, b, c = await hand_computed_town(town)
    async with town.sessions.begin() as session:
        await settlement.set_policy(
            session, town.operator, settlement.PolicySpec(FundingModel.AT_REDEMPTION, breakage_percent=Decimal(50))
        )
        run = await settlement.run_day(session, town.coalition_id, await _day(town))
    assert run.status == "PROVISIONAL"
    lines, obligations = await figures(town, run)
    assert obligations == {
        (None, b, "CROSS_REDEMPTION", 30, 30),
        (a, b, "CROSS_REDEMPTION", 170, 170),  # 270 spent at B, 100 refunded
        (None, a, "CROSS_REDEMPTION", 30, 30),
        (b, a, "CROSS_REDEMPTION", 120, 120),
        (b, c, "CROSS_REDEMPTION", 50, 50),
        (c, None, "FEE", 50, 1),  # 2% of 0.50
        (a, None, "FEE", 450, 45),  # 0.001 x (500 - 50 clawed back)
        (c, None, "BREAKAGE", 100, 50),  # half the value of C's 100 expired points
    }  # the coalition's own 30 expired points move no money
    assert lines == {
        None: (90, 0, 96, 60, 0, 36),
        a: (450, 150, 150, 215, 45, -65),
        b: (200, 200, 200, 170, 0, 30),
        c: (100, 50, 50, 51, 1, -1),
    }

    async with town.sessions.begin() as session:
        await settlement.set_policy(
            session, town.operator,
            settlement.PolicySpec(FundingModel.AT_ISSUANCE, Decimal("0.008"), Decimal("0.0095")),
        )  # fmt: skip
        again = await settlement.run_day(session, town.coalition_id, run.business_date)
    assert again.id == run.id  # the open day's run, recomputed
    lines, obligations = await figures(town, again)
    assert obligations == {
        (a, None, "ISSUANCE", 450, 360),
        (b, None, "ISSUANCE", 200, 160),
        (c, None, "ISSUANCE", 100, 80),  # expired since: breakage stays with the coalition
        (None, a, "REDEMPTION", 150, 142),  # 142.5 cents, half-even
        (None, b, "REDEMPTION", 200, 190),
        (None, c, "REDEMPTION", 50, 48),  # 47.5 cents
        (c, None, "FEE", 50, 1),
        (a, None, "FEE", 450, 45),
    }
    assert {p: line[5] for p, line in lines.items()} == {None: 266, a: -263, b: 30, c: -33}


async def _day(town):
    """The coalition's business day now (its time zone, not the machine's)."""
    async with town.engine.connect() as connection:
        return await connection.scalar(
            text("SELECT (now() AT TIME ZONE timezone)::date FROM coalitions WHERE id = :c"), {"c": town.coalition_id}
        )


async def test_the_run_reconciles_with_the_ledgers_entries_for_the_day(town) -> None:
    await hand_computed_town(town)
    day = await _day(town)
    async with town.sessions.begin() as session:
        run = await settlement.run_day(session, town.coalition_id, day)
    lines, _ = await figures(town, run)
    async with town.engine.connect() as connection:
        ledger = {
            row.partner_id: (int(row.issued), int(row.redeemed))
            for row in await connection.execute(
                text(
                    "SELECT a.partner_id,"
                    " -coalesce(sum(e.amount) FILTER (WHERE a.kind = 'ISSUED'), 0) AS issued,"
                    " coalesce(sum(e.amount) FILTER (WHERE a.kind = 'REDEEMED'), 0) AS redeemed"
                    " FROM ledger_entries e JOIN accounts a ON a.id = e.account_id"
                    " JOIN ledger_transactions t ON t.member_id = e.member_id AND t.id = e.transaction_id"
                    " WHERE t.coalition_id = :c AND t.business_date = :d AND a.partner_id IS NOT NULL"
                    " GROUP BY a.partner_id"
                ),
                {"c": town.coalition_id, "d": day},
            )
        }
    assert {p: (line[0], line[1]) for p, line in lines.items() if p is not None} == ledger
    assert sum(line[5] for line in lines.values()) == 0


async def test_a_repeated_run_gives_identical_figures_and_a_closed_day_is_computed_once(town) -> None:
    await hand_computed_town(town)
    day = await _day(town)
    async with town.sessions.begin() as session:
        first = await settlement.run_day(session, town.coalition_id, day)
    async with town.sessions.begin() as session:
        second = await settlement.run_day(session, town.coalition_id, day)
    assert (second.id, await figures(town, second)) == (first.id, await figures(town, first))
    async with town.sessions.begin() as session:
        closed = await settlement.run_day(session, town.coalition_id, day, now=TOMORROW)
    assert closed.status == "COMPUTED"
    assert await figures(town, closed) == await figures(town, first)


async def test_two_settlers_of_one_day_at_once_make_one_run(town) -> None:
    await hand_computed_town(town)
    day = await _day(town)

    async def settle_once():
        async with town.sessions.begin() as session:
            return await settlement.run_day(session, town.coalition_id, day, now=TOMORROW)

    runs = await asyncio.gather(*(settle_once() for _ in range(6)))
    assert len({run.id for run in runs}) == 1
    assert {run.status for run in runs} == {"COMPUTED"}
    lines, _ = await figures(town, runs[0])
    assert sum(line[5] for line in lines.values()) == 0
    assert len(lines) == 4
    async with town.engine.connect() as connection:
        count = await connection.scalar(select(func.count()).where(settlement_runs.c.coalition_id == town.coalition_id))
    assert count == 1


async def test_an_approved_run_is_final(town) -> None:
    await hand_computed_town(town)
    day = await _day(town)
    async with town.sessions.begin() as session:
        await settlement.run_day(session, town.coalition_id, day, now=TOMORROW)
    async with town.sessions.begin() as session:
        approved = await settlement.approve(session, town.operator, day)
    assert approved.status == "APPROVED"
    before = await figures(town, approved)
    for statement in (
        "DELETE FROM settlement_lines WHERE run_id = :r",
        "UPDATE settlement_obligations SET amount_minor = amount_minor + 1 WHERE run_id = :r",
        "UPDATE settlement_runs SET status = 'COMPUTED' WHERE id = :r",
        "DELETE FROM settlement_runs WHERE id = :r",
    ):
        with pytest.raises(DBAPIError, match=r"final|cannot go from"):
            async with town.engine.begin() as connection:
                await connection.execute(text(statement), {"r": approved.id})
    async with town.sessions.begin() as session:
        again = await settlement.run_day(session, town.coalition_id, day, now=TOMORROW + timedelta(days=3))
        paid = await settlement.mark_paid(session, town.operator, day)
    assert again.status == "APPROVED"
    assert paid.status == "PAID"
    assert await figures(town, paid) == before


async def test_a_day_not_yet_begun_cannot_be_settled(town) -> None:
    from coalition.platform.errors import DomainError

    with pytest.raises(DomainError) as refused:
        async with town.sessions.begin() as session:
            await settlement.run_day(session, town.coalition_id, (await _day(town)) + timedelta(days=1))
    assert refused.value.field == ("businessDate",)
