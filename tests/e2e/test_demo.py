"""`coalition demo`'s town shows the nightly half: its history is posted day
by day through the real posting functions under the seed's clock, and every
past day is settled and approved."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from coalition.demo import SLUG, TIMEZONE, seed
from coalition.settlement.documents import statement_document


def _coalition(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "coalition", *args], env=env, capture_output=True, text=True, check=True, timeout=120
    )


@pytest.mark.slow
async def test_the_demo_seed_settles_and_approves_past_days_with_content(settings, engine, tmp_path) -> None:
    town = await seed(settings, members=20, days=3)
    # The portal's people: the operator, a shop owner and a cashier, each with a sign-in link.
    assert [p.email for p in town.staff] == ["operator@demo.example", "owner@demo.example", "cashier@demo.example"]
    assert [bool(p.totp_secret) for p in town.staff] == [True, True, False]
    assert all("/portal/sign-in/link/" in p.sign_in_url for p in town.staff)
    # And a member with an address, let into the wallet by a one-time link.
    assert town.wallet is not None
    assert town.wallet.email == "member@demo.example"
    assert "/wallet/sign-in/link/" in town.wallet.sign_in_url
    today = datetime.now(ZoneInfo(TIMEZONE)).date()
    assert (town.settled_from, town.settled_through) == (today - timedelta(days=3), today - timedelta(days=1))
    async with engine.connect() as c:
        coalition_id = await c.scalar(text("SELECT id FROM coalitions WHERE slug = :s"), {"s": SLUG})
        where = {"c": coalition_id}
        posted_on = text("SELECT DISTINCT business_date FROM ledger_transactions WHERE coalition_id = :c")
        posted = set((await c.scalars(posted_on, where)).all())
        runs_of = text("SELECT business_date, status FROM settlement_runs WHERE coalition_id = :c")
        runs = {day: status for day, status in (await c.execute(runs_of, where)).all()}
        shops_of = text(
            "SELECT p.id, pp.iban FROM partners p JOIN partner_programmes pp ON pp.partner_id = p.id"
            " WHERE p.coalition_id = :c"
        )
        shops = (await c.execute(shops_of, where)).all()
    past = [today - timedelta(days=n) for n in (3, 2, 1)]
    # Each past day has its own trade (the seed's clock), and today's is still open.
    assert posted == {*past, today}
    assert runs == dict.fromkeys(past, "APPROVED")
    assert len(shops) == 6
    assert all(iban for _, iban in shops)
    for day in past:
        async with engine.connect() as c:
            statements = [
                (await statement_document(c, coalition_id, day, shop_id, "CSV")).content.decode()
                for shop_id, _ in shops
            ]
        assert all(",APPROVED" in statement for statement in statements)
        assert any("CROSS_REDEMPTION" in statement for statement in statements)  # money moves between shops

    env = {**os.environ, "COALITION_DATABASE_URL": settings.database_url, "COALITION_REDIS_URL": settings.redis_url}
    out = tmp_path / "payouts.xml"
    period = f"{town.settled_from.isoformat()}..{town.settled_through.isoformat()}"
    paid = _coalition("payouts", "export", "--coalition", SLUG, "--period", period, "--out", str(out), env=env)
    assert "pay " in paid.stdout
    assert "not approved" not in paid.stdout
    assert b"<PmtInf>" in out.read_bytes()
    assert "all invariants hold" in _coalition("ledger", "verify", "--coalition", SLUG, env=env).stdout

    again = await seed(settings, members=20, days=3)  # a second run: fresh tokens, the same town
    assert (again.settled_from, again.settled_through) == (town.settled_from, town.settled_through)
    assert set(again.tokens.values()).isdisjoint(town.tokens.values())
    assert [p.totp_secret for p in again.staff] == [p.totp_secret for p in town.staff]
    assert {p.sign_in_url for p in again.staff}.isdisjoint(p.sign_in_url for p in town.staff)
    assert again.wallet is not None
    assert again.wallet.sign_in_url != town.wallet.sign_in_url


async def test_the_posting_functions_read_the_time_only_through_ledger_now(engine) -> None:
    async with engine.connect() as c:
        direct = (
            await c.execute(
                text(
                    "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
                    " WHERE n.nspname = current_schema() AND p.proname <> 'ledger_now'"
                    r" AND p.prosrc ~ '(^|[^_a-z])now\(\)'"
                )
            )
        ).all()
        assert direct == []
        real = await c.scalar(text("SELECT ledger_now() = now()"))
        await c.execute(text("SELECT set_config('coalition.clock', '2026-11-20T09:00:00+01:00', true)"))
        seeded = await c.scalar(text("SELECT ledger_now()"))
    assert real is True
    assert seeded.isoformat() == "2026-11-20T08:00:00+00:00"
