"""Bulk seeding for the till benchmark: members with balances, and history.

Rows are written with SQL, not through the posting path, with the ledger's
triggers off (a superuser's switch); the counters they would keep are written
consistent by hand, so ``coalition ledger verify`` still holds afterwards.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import text

from coalition.partners import lifecycle
from coalition.platform.auth.service import Principal, issue
from coalition.platform.auth.tokens import CredentialKind, PartnerRole
from coalition.platform.coalitions.service import create_coalition
from coalition.platform.runtime.database import create_engine, create_sessionmaker

OPENING_BALANCE = 5_000

_MEMBERS = """
WITH m AS (
  INSERT INTO members (coalition_id, card_number, referral_code, birth_date)
  SELECT '{coalition}'::uuid, 'T' || lpad(n::text, 9, '0'), upper(substr(md5('r' || n), 1, 10)),
         date '1970-01-01' + (n % 15000)
    FROM generate_series(0, {count} - 1) AS n
  RETURNING id),
a AS (INSERT INTO member_activity (member_id) SELECT id FROM m)
INSERT INTO wallets (member_id, coalition_id, balance, lots_remaining)
SELECT id, '{coalition}'::uuid, {balance}, {balance} FROM m
"""

# Literal values are the benchmark's own (ids, counts), formatted in.

# One opening EARN per member at a shop, its two entries and its lot.
_OPENING = [
    """
    CREATE TEMPORARY TABLE bench_opening ON COMMIT DROP AS
    SELECT m.id AS member_id, md5('o' || m.id)::uuid AS txn, md5('ol' || m.id)::uuid AS lot,
           (ARRAY(SELECT id FROM partners WHERE coalition_id = '{coalition}'::uuid ORDER BY name))[
             1 + (abs(hashtext(m.id::text)) % {shops})] AS shop
      FROM members m WHERE m.coalition_id = '{coalition}'::uuid
    """,
    """
    INSERT INTO ledger_transactions (member_id, id, coalition_id, partner_id, kind, points, business_date,
                                     created_at, purchase_minor)
    SELECT member_id, txn, '{coalition}'::uuid, shop, 'EARN', {balance}, current_date - 30, now() - interval '30 days',
           {balance} * 100
      FROM bench_opening
    """,
    """
    INSERT INTO ledger_entries (member_id, transaction_id, line, on_wallet, account_id, amount)
    SELECT o.member_id, o.txn, 1, true, NULL, {balance} FROM bench_opening o
    UNION ALL
    SELECT o.member_id, o.txn, 2, false, a.id, -{balance}
      FROM bench_opening o JOIN accounts a ON a.partner_id = o.shop AND a.kind = 'ISSUED'
    """,
    """
    INSERT INTO lots (member_id, id, coalition_id, transaction_id, issuer_partner_id, points, remaining,
                      available_at, expires_at, created_at)
    SELECT member_id, lot, '{coalition}'::uuid, txn, shop, {balance}, {balance}, now() - interval '16 days',
           now() + interval '11 months', now() - interval '30 days'
      FROM bench_opening
    """,
]

# History: for each member, ``pairs`` purchases long spent, each an EARN (two
# entries, a lot, a key) and a REDEEM (two entries, a consumption, a key)
# that used it up.
_HISTORY = [
    """
    CREATE TEMPORARY TABLE bench_history ON COMMIT DROP AS
    SELECT m.id AS member_id, md5(m.id::text || 'e' || k)::uuid AS earn, md5(m.id::text || 'r' || k)::uuid AS spend,
           md5(m.id::text || 'l' || k)::uuid AS lot, s.id AS shop, s.issued, s.redeemed,
           now() - interval '400 days' + k * interval '17 minutes' AS at
      FROM members m
      CROSS JOIN generate_series({first}, {first} + {pairs} - 1) AS k
      JOIN (SELECT p.id, row_number() OVER (ORDER BY p.name) - 1 AS n,
                   (SELECT id FROM accounts WHERE partner_id = p.id AND kind = 'ISSUED') AS issued,
                   (SELECT id FROM accounts WHERE partner_id = p.id AND kind = 'REDEEMED') AS redeemed
              FROM partners p WHERE p.coalition_id = '{coalition}'::uuid) s
        ON s.n = (k + abs(hashtext(m.id::text))) % {shops}
     WHERE m.coalition_id = '{coalition}'::uuid
    """,
    """
    INSERT INTO ledger_transactions (member_id, id, coalition_id, partner_id, kind, points, business_date,
                                     created_at, purchase_minor)
    SELECT member_id, earn, '{coalition}'::uuid, shop, 'EARN', 20, at::date, at, 2000 FROM bench_history
    UNION ALL
    SELECT member_id, spend, '{coalition}'::uuid, shop, 'REDEEM', -20, at::date, at + interval '1 hour', NULL
      FROM bench_history
    """,
    """
    INSERT INTO ledger_entries (member_id, transaction_id, line, on_wallet, account_id, amount)
    SELECT member_id, earn, 1, true, NULL, 20 FROM bench_history
    UNION ALL SELECT member_id, earn, 2, false, issued, -20 FROM bench_history
    UNION ALL SELECT member_id, spend, 1, true, NULL, -20 FROM bench_history
    UNION ALL SELECT member_id, spend, 2, false, redeemed, 20 FROM bench_history
    """,
    """
    INSERT INTO lots (member_id, id, coalition_id, transaction_id, issuer_partner_id, points, remaining, consumed,
                      available_at, expires_at, created_at)
    SELECT member_id, lot, '{coalition}'::uuid, earn, shop, 20, 0, 20, at, at + interval '12 months', at
      FROM bench_history
    """,
    """
    INSERT INTO lot_consumptions (member_id, transaction_id, lot_id, issuer_partner_id, partner_id, business_date,
                                  kind, points)
    SELECT member_id, spend, lot, shop, shop, at::date, 'REDEEM', 20 FROM bench_history
    """,
    # Every till posting came with an idempotency key, kept for good.
    """
    INSERT INTO idempotency_keys (scope_id, key, request_hash, member_id, transaction_id, created_at)
    SELECT shop, 'h-' || earn, md5(earn::text) || md5(shop::text), member_id, earn, at FROM bench_history
    UNION ALL
    SELECT shop, 'h-' || spend, md5(spend::text) || md5(shop::text), member_id, spend, at FROM bench_history
    """,
]


async def town(url: str, *, members: int, shops: int = 10, slug: str = "till") -> tuple[list[str], list[str]]:
    """A coalition of ``shops`` active shops and ``members`` members, each
    with OPENING_BALANCE points to spend. Returns the shops' till (POS) keys
    and the members' card numbers."""
    engine = create_engine(url, pool_size=2)
    tokens: list[str] = []
    async with create_sessionmaker(engine).begin() as session:
        coalition, _ = await create_coalition(
            session, slug=slug, name=f"{slug} town", currency="EUR", point_value="0.01", timezone="Europe/Amsterdam"
        )
        operator = Principal.local_operator(coalition.id, via="bench")
        for n in range(shops):
            shop, _ = await lifecycle.create_partner(
                session, operator, name=f"Shop {n:02d}", earn_rate_per_unit=Decimal(1), iban=None
            )
            await lifecycle.set_status(session, operator, shop.id, "ACTIVE")
            _, token = await issue(
                session, coalition_id=coalition.id, kind=CredentialKind.PARTNER, partner_id=shop.id,
                role=PartnerRole.POS,
            )  # fmt: skip
            tokens.append(token)
    values = {"coalition": coalition.id, "count": members, "balance": OPENING_BALANCE, "shops": shops}
    async with engine.begin() as connection:
        await connection.execute(text("SET LOCAL session_replication_role = replica"))
        await connection.execute(text(_MEMBERS.format(**values)))
        for statement in _OPENING:
            await connection.execute(text(statement.format(**values)))
    await _analyze(engine)
    await engine.dispose()
    return tokens, [f"T{n:09d}" for n in range(members)]


async def add_history(url: str, slug: str, entries: int, *, batch_pairs: int = 50) -> int:
    """Adds about ``entries`` ledger entries of spent history, spread evenly
    over the coalition's members. Returns how many entries the ledger holds."""
    engine = create_engine(url, pool_size=2)
    async with engine.connect() as connection:
        coalition = (await connection.execute(text("SELECT id FROM coalitions WHERE slug = :s"), {"s": slug})).one()
        member_count = (
            await connection.execute(text("SELECT count(*) FROM members WHERE coalition_id = :c"), {"c": coalition.id})
        ).scalar_one()
    pairs = max(1, entries // (4 * member_count))
    first = 0
    while first < pairs:
        step = min(batch_pairs, pairs - first)
        values = {"coalition": coalition.id, "first": first, "pairs": step, "shops": 10}
        async with engine.begin() as connection:
            await connection.execute(text("SET LOCAL session_replication_role = replica"))
            for statement in _HISTORY:
                await connection.execute(text(statement.format(**values)))
        first += step
    await _analyze(engine)
    async with engine.connect() as connection:
        total = (await connection.execute(text("SELECT count(*) FROM ledger_entries"))).scalar_one()
    await engine.dispose()
    return int(total)


async def entry_count(url: str) -> int:
    engine = create_engine(url, pool_size=1)
    async with engine.connect() as connection:
        total = (await connection.execute(text("SELECT count(*) FROM ledger_entries"))).scalar_one()
    await engine.dispose()
    return int(total)


async def _analyze(engine: object) -> None:
    from sqlalchemy.ext.asyncio import AsyncEngine

    assert isinstance(engine, AsyncEngine)
    async with engine.execution_options(isolation_level="AUTOCOMMIT").connect() as connection:
        await connection.execute(text("VACUUM ANALYZE"))
