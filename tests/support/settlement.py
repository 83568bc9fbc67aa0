"""A day of postings whose settlement is worked out by hand, and a run's figures
in a form tests compare whole."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

from coalition.partners import programme as partner_programme
from coalition.platform.ledger.service import expire_due
from coalition.platform.programme.rules import Bonuses, CoalitionRulesChanges
from coalition.settlement import service as settlement
from coalition.settlement.repository import lines_of, obligations_of
from tests.support.time_passing import make_lots_expire_in
from tests.support.town import Town


async def post_hand_computed_day(town: Town) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
    """Three shops and the coalition; every figure the tests expect is worked out by hand.

    A (1 pt/EUR) pays 0.001 EUR per point issued; C pays 2% of what is redeemed
    there; each new member gets a 30-point welcome bonus from the coalition.
    A third member's 100 points from C expire the same day.
    """
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
    await make_lots_expire_in(town, m3, timedelta(seconds=-1))
    assert await expire_due(town.engine, town.coalition_id) == (1, 130)  # C's 100 and the coalition's 30
    return a, b, c


async def run_figures(town: Town, run: Any) -> tuple[dict[Any, tuple[int, ...]], set[tuple[Any, ...]]]:
    """A run's lines by partner, and its obligations as (debtor, creditor, reason, points, amount)."""
    async with town.engine.connect() as connection:
        lines = (await lines_of(connection, [run.id]))[run.id]
        obligations = (await obligations_of(connection, [run.id]))[run.id]
    return (
        {line.partner_id: (line.points_issued, line.points_redeemed, line.receivable_minor, line.payable_minor,
                           line.fees_minor, line.net_minor) for line in lines},
        {(o.debtor_partner_id, o.creditor_partner_id, o.reason.value, o.points, o.amount_minor) for o in obligations},
    )  # fmt: skip
