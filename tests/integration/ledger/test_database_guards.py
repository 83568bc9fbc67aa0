"""The database itself refuses what would break the ledger, whatever the code does."""

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError


async def _refused(engine, statement: str, params: dict, match: str) -> None:
    with pytest.raises(DBAPIError, match=match):
        async with engine.begin() as c:
            await c.execute(text(statement), params)


async def _posted(town):
    shop, _ = await town.partner()
    member_id, card = await town.member(shop)
    earned = await town.earn(shop, card, "10")
    return shop, member_id, earned


async def test_entries_must_sum_to_zero(town) -> None:
    _, member_id, earned = await _posted(town)
    await _refused(
        town.engine,
        "INSERT INTO ledger_entries (member_id, transaction_id, line, on_wallet, amount) VALUES (:m, :t, 3, true, 5)",
        {"m": member_id, "t": earned.transaction_id},
        "sum to 5, not 0",
    )


async def test_ledger_rows_are_immutable(town) -> None:
    _, _, earned = await _posted(town)
    for statement in (
        "UPDATE ledger_transactions SET points = 1000 WHERE id = :t",
        "DELETE FROM ledger_transactions WHERE id = :t",
        "UPDATE ledger_entries SET amount = 1000 WHERE transaction_id = :t",
        "DELETE FROM ledger_entries WHERE transaction_id = :t",
    ):
        await _refused(town.engine, statement, {"t": earned.transaction_id}, "immutable")


async def test_balances_and_lots_cannot_be_edited_directly(town) -> None:
    _, member_id, _ = await _posted(town)
    await _refused(
        town.engine, "UPDATE wallets SET balance = 1000 WHERE member_id = :m", {"m": member_id}, "maintained"
    )
    await _refused(town.engine, "UPDATE lots SET remaining = 1000 WHERE member_id = :m", {"m": member_id}, "maintained")


async def test_a_lot_cannot_be_consumed_beyond_its_points(town) -> None:
    shop, member_id, _ = await _posted(town)
    await _refused(
        town.engine,
        """
        WITH t AS (
          INSERT INTO ledger_transactions (member_id, id, coalition_id, partner_id, kind, points, business_date)
          SELECT :m, :t, coalition_id, :p, 'REDEEM', -11, current_date FROM members WHERE id = :m
          RETURNING id)
        INSERT INTO lot_consumptions (member_id, transaction_id, lot_id, partner_id, business_date, kind, points)
        SELECT :m, :t, id, :p, current_date, 'REDEEM', 11 FROM lots WHERE member_id = :m
        """,
        {"m": member_id, "t": uuid.uuid4(), "p": shop},
        "counters_not_negative|balance_not_negative",
    )


async def test_wallet_balance_must_match_its_lots(town) -> None:
    shop, member_id, _ = await _posted(town)
    # An entry crediting the wallet with no lot behind it.
    await _refused(
        town.engine,
        """
        WITH t AS (
          INSERT INTO ledger_transactions (member_id, id, coalition_id, kind, points, business_date)
          SELECT :m, :t, coalition_id, 'ADJUST', 5, current_date FROM members WHERE id = :m RETURNING id)
        INSERT INTO ledger_entries (member_id, transaction_id, line, on_wallet, account_id, amount)
        SELECT :m, :t, 1, true, NULL, 5
        UNION ALL
        SELECT :m, :t, 2, false, a.id, -5 FROM accounts a WHERE a.partner_id = :p AND a.kind = 'ISSUED'
        """,
        {"m": member_id, "t": uuid.uuid4(), "p": shop},
        "differs from its lots",
    )
