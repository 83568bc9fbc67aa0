"""Time passing, for tests: the coalition's business day now, a moment after it
closes, and rows moved in time. Ledger rows are immutable, so the movers run with
the triggers off (a superuser's test-only switch)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import text

from tests.support.town import Town

# Taken once, when the tests start: a moment at which today's business day has closed.
A_DAY_FROM_NOW = datetime.now(UTC) + timedelta(days=1)


async def business_date_now(town: Town) -> date:
    """The coalition's business day now (its time zone, not the machine's)."""
    async with town.engine.connect() as connection:
        day: date = await connection.scalar(
            text("SELECT (now() AT TIME ZONE timezone)::date FROM coalitions WHERE id = :c"), {"c": town.coalition_id}
        )
    return day


async def make_lots_expire_in(town: Town, card: str, expires_in: timedelta) -> None:
    """Moves a member's lots' expiry to now + expires_in."""
    async with town.engine.begin() as connection:
        await connection.execute(text("SET LOCAL session_replication_role = replica"))
        await connection.execute(
            text(
                "UPDATE lots SET expires_at = now() + :delta"
                " WHERE member_id = (SELECT id FROM members WHERE card_number = :card AND coalition_id = :c)"
            ),
            {"delta": expires_in, "card": card, "c": town.coalition_id},
        )


async def move_postings_to_yesterday(town: Town) -> None:
    """Today's postings (and what they consumed) become yesterday's."""
    async with town.engine.begin() as connection:
        await connection.execute(text("SET LOCAL session_replication_role = replica"))
        await connection.execute(
            text("UPDATE ledger_transactions SET business_date = business_date - 1 WHERE coalition_id = :c"),
            {"c": town.coalition_id},
        )
        await connection.execute(
            text(
                "UPDATE lot_consumptions SET business_date = business_date - 1"
                " WHERE member_id IN (SELECT id FROM members WHERE coalition_id = :c)"
            ),
            {"c": town.coalition_id},
        )
