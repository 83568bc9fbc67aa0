"""Settling a day of real postings: a hand-computed town, both funding
models, and what the database guarantees about runs."""

import asyncio
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from coalition.settlement import service as settlement
from coalition.settlement.rules import FundingModel
from coalition.settlement.tables import settlement_runs
from tests.support.settlement import post_hand_computed_day, run_figures
from tests.support.time_passing import A_DAY_FROM_NOW, business_date_now


async def test_a_hand_computed_day_under_both_funding_models(town) -> None:
    a, b, c = await post_hand_computed_day(town)
    async with town.sessions.begin() as session:
        await settlement.set_policy(
            session, town.operator, settlement.PolicySpec(FundingModel.AT_REDEMPTION, breakage_percent=Decimal(50))
        )
        run = await settlement.run_day(session, town.coalition_id, await business_date_now(town))
    assert run.status == "PROVISIONAL"
    lines, obligations = await run_figures(town, run)
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
    lines, obligations = await run_figures(town, again)
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


async def test_the_run_reconciles_with_the_ledgers_entries_for_the_day(town) -> None:
    await post_hand_computed_day(town)
    day = await business_date_now(town)
    async with town.sessions.begin() as session:
        run = await settlement.run_day(session, town.coalition_id, day)
    lines, _ = await run_figures(town, run)
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
    await post_hand_computed_day(town)
    day = await business_date_now(town)
    async with town.sessions.begin() as session:
        first = await settlement.run_day(session, town.coalition_id, day)
    async with town.sessions.begin() as session:
        second = await settlement.run_day(session, town.coalition_id, day)
    assert (second.id, await run_figures(town, second)) == (first.id, await run_figures(town, first))
    async with town.sessions.begin() as session:
        closed = await settlement.run_day(session, town.coalition_id, day, now=A_DAY_FROM_NOW)
    assert closed.status == "COMPUTED"
    assert await run_figures(town, closed) == await run_figures(town, first)


async def test_two_settlers_of_one_day_at_once_make_one_run(town) -> None:
    await post_hand_computed_day(town)
    day = await business_date_now(town)

    async def settle_once():
        async with town.sessions.begin() as session:
            return await settlement.run_day(session, town.coalition_id, day, now=A_DAY_FROM_NOW)

    runs = await asyncio.gather(*(settle_once() for _ in range(6)))
    assert len({run.id for run in runs}) == 1
    assert {run.status for run in runs} == {"COMPUTED"}
    lines, _ = await run_figures(town, runs[0])
    assert sum(line[5] for line in lines.values()) == 0
    assert len(lines) == 4
    async with town.engine.connect() as connection:
        count = await connection.scalar(select(func.count()).where(settlement_runs.c.coalition_id == town.coalition_id))
    assert count == 1


async def test_an_approved_run_is_final(town) -> None:
    await post_hand_computed_day(town)
    day = await business_date_now(town)
    async with town.sessions.begin() as session:
        await settlement.run_day(session, town.coalition_id, day, now=A_DAY_FROM_NOW)
    async with town.sessions.begin() as session:
        approved = await settlement.approve(session, town.operator, day)
    assert approved.status == "APPROVED"
    before = await run_figures(town, approved)
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
        again = await settlement.run_day(session, town.coalition_id, day, now=A_DAY_FROM_NOW + timedelta(days=3))
        paid = await settlement.mark_paid(session, town.operator, day)
    assert again.status == "APPROVED"
    assert paid.status == "PAID"
    assert await run_figures(town, paid) == before


async def test_a_day_not_yet_begun_cannot_be_settled(town) -> None:
    from coalition.platform.errors import DomainError

    with pytest.raises(DomainError) as refused:
        async with town.sessions.begin() as session:
            await settlement.run_day(session, town.coalition_id, (await business_date_now(town)) + timedelta(days=1))
    assert refused.value.field == ("businessDate",)
