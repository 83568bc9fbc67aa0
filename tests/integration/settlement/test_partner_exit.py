"""A partner leaves: its outstanding points are settled under the coalition's
exit model in the run of the day it leaves, and members are told their points
stay valid."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text

from coalition.platform.errors import DomainError, ErrorCode
from coalition.platform.notices import repository as notices
from coalition.settlement import service as settlement
from coalition.settlement.rules import ExitModel, FundingModel
from tests.support.settlement import run_figures
from tests.support.time_passing import A_DAY_FROM_NOW, business_date_now, move_postings_to_yesterday


async def _policy(town, model: FundingModel = FundingModel.AT_REDEMPTION, exit_model=ExitModel.BUY_OUT) -> None:
    async with town.sessions.begin() as session:
        await settlement.set_policy(
            session, town.operator, settlement.PolicySpec(model, Decimal("0.008"), exit_model=exit_model)
        )


async def _terminate(town, partner, now: datetime | None = None):
    async with town.sessions.begin() as session:
        return await settlement.terminate_partner(session, town.operator, partner, "closing down", now=now)


async def test_a_leaving_partner_pays_for_the_points_still_out_at_the_end_of_its_last_day(town) -> None:
    a, _ = await town.partner("A")
    b, _ = await town.partner("B")
    m1, card = await town.member(a)
    m2, other = await town.member(b)
    await town.earn(a, card, "500")
    await town.earn(b, other, "20")  # B's own points: not A's business
    await town.redeem(b, card, 100)
    done = await _terminate(town, a)
    assert (done.partner.status, done.model, done.members_told) == ("TERMINATED", ExitModel.BUY_OUT, 1)
    await town.redeem(b, card, 50)  # still A's day: A pays B for these too
    day = await business_date_now(town)
    assert done.business_date == day
    async with town.sessions.begin() as session:
        run = await settlement.run_day(session, town.coalition_id, day, now=A_DAY_FROM_NOW)
    lines, obligations = await run_figures(town, run)
    assert obligations == {
        (a, b, "CROSS_REDEMPTION", 150, 150),
        (a, None, "EXIT", 350, 350),  # 500 - 150: what members still hold, at 0.01
    }
    assert lines[a][5] == -500
    assert lines[b][5] == 150
    assert lines[None][5] == 350

    async with town.engine.connect() as connection:
        told = await notices.of_members(connection, [m1, m2])
    assert told[m2] == []
    [notice] = told[m1]
    assert notice.kind == "PARTNER_LEFT"
    assert notice.payload == {"partnerId": str(a), "partnerName": "A", "points": 400, "pointsStayValid": True}

    again = await _terminate(town, a)  # asked twice: the same exit, no second notice
    assert (again.business_date, again.members_told) == (day, 0)


async def test_from_the_next_day_the_coalition_honours_the_bought_out_points(town) -> None:
    a, _ = await town.partner("A")
    b, _ = await town.partner("B")
    _, card = await town.member(a)
    await town.earn(a, card, "500")
    await town.redeem(b, card, 100)
    await move_postings_to_yesterday(town)
    yesterday = await business_date_now(town) - timedelta(days=1)
    await _terminate(town, a, now=datetime.now(UTC) - timedelta(days=1))
    await town.redeem(b, card, 60)  # today: A's points, now the coalition's to pay for

    async with town.sessions.begin() as session:
        closed = await settlement.run_day(session, town.coalition_id, yesterday)
        today = await settlement.run_day(session, town.coalition_id, yesterday + timedelta(days=1))
    _, on_exit_day = await run_figures(town, closed)
    # Outstanding at the end of yesterday: today's 60 count as still out then.
    assert on_exit_day == {(a, b, "CROSS_REDEMPTION", 100, 100), (a, None, "EXIT", 400, 400)}
    lines, after = await run_figures(town, today)
    assert after == {(None, b, "CROSS_REDEMPTION", 60, 60)}
    assert a not in lines
    async with town.engine.connect() as connection:
        matrix = (await connection.execute(
            text("SELECT issuer_partner_id, points FROM settlement_matrix WHERE run_id = :r"), {"r": today.id}
        )).all()  # fmt: skip
    assert [tuple(row) for row in matrix] == [(None, 60)]


async def test_a_partner_kept_liable_pays_as_its_points_are_spent(town) -> None:
    await _policy(town, exit_model=ExitModel.KEEP_LIABLE)
    a, _ = await town.partner("A")
    b, _ = await town.partner("B")
    _, card = await town.member(a)
    await town.earn(a, card, "500")
    await move_postings_to_yesterday(town)
    await _terminate(town, a, now=datetime.now(UTC) - timedelta(days=1))
    await town.redeem(b, card, 60)
    day = await business_date_now(town)
    async with town.sessions.begin() as session:
        closed = await settlement.run_day(session, town.coalition_id, day - timedelta(days=1))
        today = await settlement.run_day(session, town.coalition_id, day)
    assert not {o for o in (await run_figures(town, closed))[1] if o[2] == "EXIT"}
    assert (await run_figures(town, today))[1] == {(a, b, "CROSS_REDEMPTION", 60, 60)}


async def test_under_at_issuance_the_points_were_paid_for_when_issued(town) -> None:
    await _policy(town, FundingModel.AT_ISSUANCE)
    a, _ = await town.partner("A")
    _, card = await town.member(a)
    await town.earn(a, card, "500")
    await _terminate(town, a)
    async with town.sessions.begin() as session:
        run = await settlement.run_day(session, town.coalition_id, await business_date_now(town))
    assert (await run_figures(town, run))[1] == {(a, None, "ISSUANCE", 500, 400)}  # and no EXIT


async def test_termination_needs_a_reason_and_is_for_good(town) -> None:
    a, _ = await town.partner("A")
    with pytest.raises(DomainError) as no_reason:
        async with town.sessions.begin() as session:
            await settlement.terminate_partner(session, town.operator, a, "  ")
    assert no_reason.value.field == ("reason",)
    with pytest.raises(DomainError) as too_long:
        async with town.sessions.begin() as session:
            await settlement.terminate_partner(session, town.operator, a, "x" * 201)
    assert (too_long.value.code, too_long.value.field) == (ErrorCode.VALIDATION, ("reason",))
    async with town.engine.connect() as connection:  # refused: nothing changed
        status = await connection.scalar(text("SELECT status FROM partners WHERE id = :p"), {"p": a})
    assert status == "ACTIVE"
    await _terminate(town, a)
    from coalition.partners import lifecycle

    with pytest.raises(DomainError) as back:
        async with town.sessions.begin() as session:
            await lifecycle.set_status(session, town.operator, a, "ACTIVE")
    assert back.value.code == ErrorCode.CONFLICT
