"""Expiry, the nightly catch-up and notice delivery, on the real database."""

import asyncio
import hashlib
import hmac
import json
import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from sqlalchemy import select

from coalition.platform.errors import DomainError, ErrorCode
from coalition.platform.ledger.service import expire_due
from coalition.platform.ledger.tables import transactions
from coalition.platform.notices import service as notices
from coalition.platform.notices.tables import notices as notices_table
from coalition.settlement import service as settlement
from coalition.settlement.repository import obligations_of
from coalition.settlement.rules import FundingModel
from coalition.settlement.tasks import days_to_settle, settle_closed_days
from tests.support.time_passing import business_date_now, make_lots_expire_in


async def test_lots_expire_exactly_at_their_time_and_are_never_spent_after(town) -> None:
    shop, _ = await town.partner(rate="1")
    _, card = await town.member(shop)
    await town.earn(shop, card, "100")
    await make_lots_expire_in(town, card, timedelta(seconds=1.5))
    before = await town.redeem(shop, card, 10)
    assert before.available == 90
    await asyncio.sleep(1.6)
    with pytest.raises(DomainError) as refused:
        await town.redeem(shop, card, 1)
    assert refused.value.code == ErrorCode.INSUFFICIENT_POINTS
    assert await expire_due(town.engine, town.coalition_id) == (1, 90)
    assert await expire_due(town.engine, town.coalition_id) == (0, 0)  # safe to run again
    async with town.engine.connect() as connection:
        kinds = (
            await connection.execute(
                select(transactions.c.kind, transactions.c.points).where(
                    transactions.c.coalition_id == town.coalition_id, transactions.c.kind == "EXPIRE"
                )
            )
        ).all()
        assert [tuple(row) for row in kinds] == [("EXPIRE", -90)]
    assert await town.ledger_violations() == []


async def test_only_the_lots_past_their_time_expire(town) -> None:
    shop, _ = await town.partner(rate="1")
    _, card = await town.member(shop)
    await town.earn(shop, card, "30")
    await make_lots_expire_in(town, card, timedelta(seconds=1))
    await town.earn(shop, card, "50")  # a fresh lot, expiring in two years
    await asyncio.sleep(1.1)
    assert await expire_due(town.engine, town.coalition_id) == (1, 30)
    spent = await town.redeem(shop, card, 50)
    assert spent.balance == 0


async def test_expired_points_are_breakage_in_the_days_settlement(town) -> None:
    shop, _ = await town.partner("A", rate="1")
    _, card = await town.member(shop)
    await town.earn(shop, card, "100")
    await make_lots_expire_in(town, card, timedelta(seconds=0.5))
    await asyncio.sleep(0.6)
    await expire_due(town.engine, town.coalition_id)
    async with town.sessions.begin() as session:
        await settlement.set_policy(
            session, town.operator, settlement.PolicySpec(FundingModel.AT_REDEMPTION, breakage_percent=Decimal(50))
        )
        run = await settlement.run_day(session, town.coalition_id, await business_date_now(town))
    async with town.engine.connect() as connection:
        obligations = (await obligations_of(connection, [run.id]))[run.id]
    assert [
        (o.debtor_partner_id, o.creditor_partner_id, o.reason.value, o.points, o.amount_minor) for o in obligations
    ] == [
        (shop, None, "BREAKAGE", 100, 50)  # half of 1.00
    ]


async def test_the_nightly_settlement_catches_up_missed_days_in_order_once(town) -> None:
    shop, _ = await town.partner(rate="1")
    _, card = await town.member(shop)
    await town.earn(shop, card, "10")
    later = datetime.now(UTC) + timedelta(days=3)
    missed = await days_to_settle(town.engine, town.coalition_id, later)
    assert len(missed) == 3
    assert missed == sorted(missed)
    assert await settle_closed_days(town.engine, town.coalition_id, later) == missed
    assert await settle_closed_days(town.engine, town.coalition_id, later) == []
    assert await days_to_settle(town.engine, town.coalition_id, later + timedelta(days=1)) == [
        missed[-1] + timedelta(days=1)
    ]


async def test_days_missed_before_a_day_settled_by_hand_are_still_caught_up(town) -> None:
    shop, _ = await town.partner(rate="1")
    _, card = await town.member(shop)
    await town.earn(shop, card, "10")
    later = datetime.now(UTC) + timedelta(days=4)
    first, *_, last = await days_to_settle(town.engine, town.coalition_id, later)
    async with town.sessions.begin() as session:  # the operator settles the latest closed day first
        await settlement.run_day(session, town.coalition_id, last, now=later)
    assert await settle_closed_days(town.engine, town.coalition_id, later) == [
        first + timedelta(days=n) for n in range((last - first).days)
    ]


class _Webhook(BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], bytes]] = []
    status = 200

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((dict(self.headers), body))
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def webhook():
    _Webhook.received = []
    _Webhook.status = 200
    server = HTTPServer(("127.0.0.1", 0), _Webhook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", _Webhook
    server.shutdown()


async def test_expiring_points_become_one_signed_notice_each(town, webhook) -> None:
    url, receiver = webhook
    shop, _ = await town.partner(rate="1")
    member_id, card = await town.member(shop)
    await town.earn(shop, card, "70")
    await make_lots_expire_in(town, card, timedelta(days=10))
    async with town.sessions.begin() as session:
        assert await notices.write_expiring(session, town.coalition_id) == 1
        assert await notices.write_expiring(session, town.coalition_id) == 0  # once per expiry date

    receiver.status = 500
    failed = await notices.deliver(town.engine, url, "s3cret", coalition_id=town.coalition_id)
    assert (failed.sent, failed.failed) == (0, 1)
    receiver.status = 200
    assert (await notices.deliver(town.engine, url, "s3cret", coalition_id=town.coalition_id)).sent == 1
    assert (
        await notices.deliver(town.engine, url, "s3cret", coalition_id=town.coalition_id)
    ).sent == 0  # delivered: not again
    headers, body = receiver.received[-1]
    expected = hmac.new(b"s3cret", headers["X-Coalition-Timestamp"].encode() + b"." + body, hashlib.sha256)
    assert headers["X-Coalition-Signature"] == f"sha256={expected.hexdigest()}"
    sent = json.loads(body)
    assert (sent["kind"], sent["memberId"], sent["payload"]["points"]) == ("POINTS_EXPIRING", str(member_id), 70)
    async with town.engine.connect() as connection:
        row = (await connection.execute(select(notices_table).where(notices_table.c.member_id == member_id))).one()
    assert (row.attempts, row.delivered_at is not None) == (2, True)


async def test_the_wallet_shows_the_notice(town, gql) -> None:
    from coalition.platform.auth.service import issue
    from coalition.platform.auth.tokens import CredentialKind

    shop, _ = await town.partner(rate="1")
    member_id, card = await town.member(shop)
    await town.earn(shop, card, "40")
    await make_lots_expire_in(town, card, timedelta(days=3))
    async with town.sessions.begin() as session:
        await notices.write_expiring(session, town.coalition_id)
        _, token = await issue(session, coalition_id=town.coalition_id, kind=CredentialKind.MEMBER, member_id=member_id)
    answer = await gql(token, "{ me { notices { kind payload } wallet { expiringSoon { points } } } }")
    me = answer["data"]["me"]
    assert [(n["kind"], n["payload"]["points"]) for n in me["notices"]] == [("POINTS_EXPIRING", 40)]
    assert me["wallet"]["expiringSoon"] == [{"points": 40}]
