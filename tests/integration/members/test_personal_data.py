"""Export, erasure, profile changes and retention against the real database
and Redis: the export holds the member's data and nothing of another
member; erasure leaves no personal value in any classified column, keeps
the ledger sound and the day's settlement figures as they were, revokes
credentials, ends sessions and is audited; retention drops basket lines and
receipt references, never totals."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from coalition.partners.earning.till import TillSetups
from coalition.platform.errors import DomainError, ErrorCode
from coalition.platform.ledger.service import LedgerService
from coalition.platform.members import privacy, sessions
from coalition.platform.members.personal_data import CLASSIFICATION, unclassified
from coalition.platform.runtime.settings import Settings
from coalition.settlement import service as settlement
from coalition.worker import apply_retention
from tests.support.personal_data import Person, add_person, column_values, members_rows, now
from tests.support.settlement import post_hand_computed_day, run_figures
from tests.support.time_passing import business_date_now
from tests.support.town import Town


@pytest.fixture(scope="module")
async def redis(settings: Settings) -> AsyncIterator[Redis]:
    client = Redis.from_url(settings.redis_url or "")
    yield client
    await client.aclose()


@pytest.fixture(scope="module")
async def scene(engine: AsyncEngine, ledger: LedgerService, till_setups: TillSetups) -> dict[str, Any]:
    """A settled-by-hand day, then Anna and Bob with something of everything."""
    town = await Town(engine, ledger, till_setups).create()
    a, _, _ = await post_hand_computed_day(town)
    anna = await add_person(town, a, "anna", phone="+31612345001")
    bob = await add_person(town, a, "bob", phone="+31612345002")
    return {"town": town, "shop": a, "anna": anna, "bob": bob}


def _comparable(value: Any) -> Any:
    return json.dumps(value, sort_keys=True) if isinstance(value, dict | list) else value


async def _audit(town: Town, member_id: uuid.UUID) -> list[tuple[str, str, Any]]:
    async with town.engine.connect() as connection:
        rows = await connection.execute(
            text("SELECT action, actor, after FROM audit_log WHERE subject_id = :m ORDER BY at, id"), {"m": member_id}
        )
        return [(row.action, row.actor, row.after) for row in rows]


async def test_the_database_has_no_column_the_classification_does_not_know(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        rows = await connection.execute(
            text("SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public'")
        )
        schema: dict[str, set[str]] = {}
        for table, column in rows:
            schema.setdefault(table, set()).add(column)
    assert unclassified({table: frozenset(columns) for table, columns in schema.items()}) == []


async def test_the_export_holds_everything_of_the_member_and_nothing_of_another(
    scene: dict[str, Any], redis: Redis
) -> None:
    town: Town = scene["town"]
    anna: Person = scene["anna"]
    bob: Person = scene["bob"]
    await sessions.open_session(redis, member_id=anna.member_id, coalition_id=town.coalition_id, now=now())
    async with town.sessions.begin() as session:
        exported = await privacy.export(session, anna.principal(town.coalition_id), anna.member_id, redis)
    dumped = json.dumps(exported)
    for held in (anna.email, anna.phone, anna.card, anna.coupon_code, anna.receipt_ref, anna.sku, "anna's phone",
                 "Your code, anna", "1990-05-17"):  # fmt: skip
        assert held in dumped, held
    for others in (bob.email, bob.phone, bob.card, bob.coupon_code, bob.receipt_ref, bob.sku, "bob"):
        assert others not in dumped, others
    tables = exported["tables"]
    assert tables["member_preferences"][0]["language"] == "nl"
    assert tables["member_preferences"][0]["marketing_consent"] is True
    assert {row["kind"] for row in tables["ledger_transactions"]} >= {"EARN", "REDEEM"}
    assert "token_hash" not in tables["credentials"][0]
    assert "body" not in tables["outbox_mails"][0]  # it may hold a live sign-in code
    assert len(exported["sessions"]) >= 1
    # The member's own download is theirs; the operator's support's is audited.
    assert not [a for a in await _audit(town, anna.member_id) if a[0] == "member.personal_data.export"]
    async with town.sessions.begin() as session:
        await privacy.export(session, town.operator, anna.member_id)
    assert [a[0] for a in await _audit(town, anna.member_id)][-1] == "member.personal_data.export"


async def test_a_refused_profile_change_changes_nothing_and_a_good_one_is_audited_without_values(
    scene: dict[str, Any],
) -> None:
    town: Town = scene["town"]
    bob: Person = scene["bob"]
    anna: Person = scene["anna"]
    by = bob.principal(town.coalition_id)
    refusals = [
        (privacy.ProfileChanges(email="not-an-address", language="en"), ErrorCode.VALIDATION, ("email",)),
        (privacy.ProfileChanges(phone="0612", marketing_consent=False), ErrorCode.VALIDATION, ("phone",)),
        (privacy.ProfileChanges(language="de"), ErrorCode.VALIDATION, ("language",)),
        # The member's own new address is proven by a mailed code (email_change), never set directly.
        (privacy.ProfileChanges(email=anna.email.upper()), ErrorCode.FORBIDDEN, ("email",)),
    ]
    for changes, code, field in refusals:
        with pytest.raises(DomainError) as refused:
            async with town.sessions.begin() as session:
                await privacy.update_profile(session, by, bob.member_id, changes)
        assert (refused.value.code, refused.value.field) == (code, field)
    async with town.engine.connect() as connection:
        unchanged = await privacy.profile(connection, by, bob.member_id)
    assert (unchanged.member.email, unchanged.member.phone, unchanged.preferences.language) == (
        bob.email, bob.phone, "nl",
    )  # fmt: skip

    new_email = f"bob.{uuid.uuid4().hex[:6]}@example.test"
    async with town.sessions.begin() as session:
        # The operator's support sets an address directly.
        changed = await privacy.update_profile(
            session, town.operator, bob.member_id, privacy.ProfileChanges(email=new_email, marketing_consent=False)
        )
    assert (changed.member.email, changed.preferences.marketing_consent) == (new_email, False)
    assert changed.preferences.marketing_consent_at is not None
    action, _, after = (await _audit(town, bob.member_id))[-1]
    assert (action, after["changed"]) == ("member.profile", ["email", "marketing_consent"])
    assert new_email not in json.dumps(after)
    async with town.sessions.begin() as session:
        await privacy.update_profile(session, town.operator, bob.member_id, privacy.ProfileChanges(email=bob.email))


async def test_erasure_leaves_no_personal_value_and_the_ledger_and_the_days_figures_as_they_were(
    scene: dict[str, Any], redis: Redis
) -> None:
    town: Town = scene["town"]
    anna: Person = scene["anna"]
    bob: Person = scene["bob"]
    day = await business_date_now(town)
    async with town.sessions.begin() as session:
        before_run = await settlement.run_day(session, town.coalition_id, day)
    figures_before = await run_figures(town, before_run)
    held = await members_rows(town.engine, anna.member_id, anna.email)
    bob_before = await members_rows(town.engine, bob.member_id, bob.email)
    await sessions.open_session(redis, member_id=anna.member_id, coalition_id=town.coalition_id, now=now())
    for table in ("credentials", "outbox_mails", "purchase_lines", "purchase_receipts", "coupons", "notices"):
        assert held[table], f"the scene has no {table} of the member's"

    async with town.sessions.begin() as session:
        erased = await privacy.erase(session, anna.principal(town.coalition_id), anna.member_id)
    await privacy.end_sessions(redis, anna.member_id)

    after = await members_rows(town.engine, anna.member_id, anna.email)
    for table in CLASSIFICATION:
        if not table.personal:
            continue
        if table.erase_rows:
            assert after[table.name] == [], table.name
            continue
        for column in table.personal:
            originals = {_comparable(row[column]) for row in held[table.name]} - {None, False, "{}"}
            still = {_comparable(row[column]) for row in after[table.name]}
            assert not originals & still, f"{table.name}.{column} still holds the member's value"
            # What identifies somebody (an address, a card, a code) is nowhere in the column, whoever's row.
            distinctive = {value for value in originals if isinstance(value, str) and len(value) >= 8}
            everywhere = {_comparable(value) for value in await column_values(town.engine, table.name, column)}
            assert not distinctive & everywhere, f"{table.name}.{column} holds the member's value elsewhere"
    assert all(row["revoked_at"] is not None for row in after["credentials"])
    assert after["members"][0]["status"] == "ERASED"
    assert await sessions.sessions_of(redis, anna.member_id, now()) == []
    assert erased.points_left == held["wallets"][0]["balance"]
    # The ledger is as it was, and sound; the day's figures recompute to the same.
    for ledger_table in ("ledger_transactions", "ledger_entries", "lots", "lot_consumptions", "wallets"):
        assert after[ledger_table] == held[ledger_table], ledger_table
    assert await town.ledger_violations() == []
    async with town.sessions.begin() as session:
        again = await settlement.run_day(session, town.coalition_id, day)
    assert again.id == before_run.id
    assert await run_figures(town, again) == figures_before
    # Bob is untouched; the erasure is audited, without anything of Anna in it.
    assert await members_rows(town.engine, bob.member_id, bob.email) == bob_before
    action, _, audited = (await _audit(town, anna.member_id))[-1]
    assert (action, audited["pointsLeft"], audited["byMember"]) == ("member.erase", erased.points_left, True)
    assert anna.email not in json.dumps(audited)
    # Erased is erased: nothing more to export, erase or change.
    for attempt in (privacy.erase, privacy.export):
        with pytest.raises(DomainError) as gone:
            async with town.sessions.begin() as session:
                await attempt(session, town.operator, anna.member_id)
        assert gone.value.code is ErrorCode.NOT_FOUND


async def test_retention_drops_lines_and_receipt_references_and_keeps_totals(scene: dict[str, Any]) -> None:
    town: Town = scene["town"]
    bob: Person = scene["bob"]
    with pytest.raises(DomainError):
        async with town.sessions.begin() as session:
            await privacy.set_retention(session, town.operator, 0)
    async with town.sessions.begin() as session:
        assert await privacy.set_retention(session, town.operator, 1) == 1
        assert await privacy.apply_retention(session, now()) != []  # nothing is a month old yet
    kept = await members_rows(town.engine, bob.member_id, bob.email)
    assert kept["purchase_lines"]
    # The worker's hourly job, two months on.
    done = await apply_retention({"engine": town.engine, "clock": lambda: now() + timedelta(days=62)})
    assert done["lines"] >= 1
    assert done["receipts"] >= 2
    after = await members_rows(town.engine, bob.member_id, bob.email)
    assert after["purchase_lines"] == []
    totals = sorted(row["total_minor"] for row in kept["purchases"])
    assert sorted(row["total_minor"] for row in after["purchases"]) == totals
    for row in after["purchases"]:
        assert row["receipt_ref"] is None or row["receipt_ref"].startswith("anonymised:")
    # The import's claim on the receipt says what its purchase says.
    assert [(r["purchase_id"], r["receipt_ref"]) for r in after["purchase_receipts"]] == [
        (r["id"], r["receipt_ref"]) for r in after["purchases"] if r["source"] == "IMPORT"
    ]
    assert after["purchase_receipts"]
    assert await town.ledger_violations() == []
    async with town.sessions.begin() as session:
        assert await privacy.set_retention(session, town.operator, None) is None
