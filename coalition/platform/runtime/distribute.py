"""``coalition db distribute``: the schema laid out over a Citus cluster.

The ledger and purchase tables are distributed by ``member_id`` and
co-located, so a posting (one member's transaction, entries, lots,
consumptions, wallet and purchase) stays on one shard and the wallet row remains the
only hot row it locks. Configuration that every posting reads is replicated
to every node as reference tables. Idempotency keys are distributed by their
scope (the partner): the key's uniqueness per (partner, key) stays a primary
key, and a till write becomes one transaction over two shards, which Citus
commits with two-phase commit, so the key and the posting still appear
together or not at all. The import's receipt claims (``purchase_receipts``,
unique per shop and receipt) are laid out the same way, co-located with the
keys. Everything else stays on the coordinator, where Citus
manages it as local tables.

The ledger's triggers (immutability, wallet upkeep, the deferred balance and
wallet checks) travel with the shards; they only touch rows of the same
member, hence of co-located shards, which is what
``citus.enable_unsafe_triggers`` asks the schema to promise.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from coalition.platform.runtime.database import create_engine

# Referenced by the ledger, read by every posting, written rarely. Members are
# here because their card, e-mail, phone and referral code are unique per
# coalition, lookups that span members; enrolments are rare next to postings.
# Rule documents (coalition_rules, partner_programmes, contracts, policies) stay
# on the coordinator: they are upserted with now(), which Citus refuses in a
# reference table's ON CONFLICT, and the posting functions read them there.
REFERENCE_TABLES = (
    "coalitions",
    "partners",
    "charities",
    "accounts",
    "members",
    "partner_exits",
)

# One member's money and purchases: co-located by member_id, the first one
# leads the group. An earn writes its purchase in the posting's transaction,
# so it stays on the posting's shard.
MEMBER_TABLES = (
    "wallets",
    "ledger_transactions",
    "ledger_entries",
    "lots",
    "lot_consumptions",
    "purchases",
    "purchase_lines",
)

# (table, distribution column, co-located with): unique per partner (or
# coalition), whatever the member. The first is co-located with nothing.
SCOPED_TABLES = (
    ("idempotency_keys", "scope_id", "none"),
    ("purchase_receipts", "partner_id", "idempotency_keys"),
)


class DistributeError(Exception):
    """The database cannot be distributed; nothing was changed."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Layout:
    reference: tuple[str, ...]
    by_member: tuple[str, ...]
    scoped: tuple[str, ...]
    workers: int


def distribute(database_url: str) -> Layout:
    return asyncio.run(_distribute(database_url))


async def _distribute(database_url: str) -> Layout:
    engine = create_engine(database_url, pool_size=1)
    try:
        async with engine.connect() as connection:
            await _require_citus(connection)
            # The ledger's triggers only touch the same member's co-located rows.
            await connection.execute(text("SET citus.enable_unsafe_triggers = on"))
            await connection.execute(text("SET citus.multi_shard_modify_mode = 'sequential'"))
            for table in REFERENCE_TABLES:
                await _lay_out(connection, table, "reference", "SELECT create_reference_table(:table)")
            for table in MEMBER_TABLES:
                colocate = "" if table == MEMBER_TABLES[0] else f", colocate_with => '{MEMBER_TABLES[0]}'"
                await _lay_out(
                    connection, table, "distributed", f"SELECT create_distributed_table(:table, 'member_id'{colocate})"
                )
            for table, column, colocate_with in SCOPED_TABLES:
                await _lay_out(
                    connection,
                    table,
                    "distributed",
                    f"SELECT create_distributed_table(:table, '{column}', colocate_with => '{colocate_with}')",
                )
            await connection.commit()
            nodes = await connection.execute(text("SELECT count(*) FROM citus_get_active_worker_nodes()"))
            workers = nodes.scalar_one()
    finally:
        await engine.dispose()
    return Layout(REFERENCE_TABLES, MEMBER_TABLES, tuple(t for t, _, _ in SCOPED_TABLES), int(workers))


async def _require_citus(connection: AsyncConnection) -> None:
    citus = (await connection.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'citus'"))).first()
    if citus is None:
        raise DistributeError(
            "NOT_CITUS",
            "this database is a plain PostgreSQL (no citus extension); "
            "distribute needs a Citus coordinator, see deploy/citus/",
        )
    missing = (
        await connection.execute(
            text("SELECT count(*) FROM unnest(CAST(:tables AS text[])) t WHERE to_regclass(t) IS NULL"),
            {"tables": [*REFERENCE_TABLES, *MEMBER_TABLES, *(t for t, _, _ in SCOPED_TABLES)]},
        )
    ).scalar_one()
    if missing:
        raise DistributeError("NOT_MIGRATED", "the schema is not there yet; run `coalition db upgrade` first")


async def _lay_out(connection: AsyncConnection, table: str, kind: str, statement: str) -> None:
    # Run again on a distributed database: a table already laid out is left as
    # it is. A table referencing a reference table may meanwhile have become a
    # Citus-managed local table; that one still gets distributed.
    current = await connection.scalar(
        text("SELECT citus_table_type FROM citus_tables WHERE table_name = to_regclass(:table)"), {"table": table}
    )
    if current != kind:
        await connection.execute(text(statement), {"table": table})
