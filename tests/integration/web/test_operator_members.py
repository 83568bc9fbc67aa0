"""The operator's member support page in process: finding a member by card,
e-mail or phone; blocking (the till then refuses the card with
MEMBER_BLOCKED) and unblocking; adjusting points with a reason, once however
often the form is sent; refusals and bad input."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import text

from coalition.platform.errors import DomainError, ErrorCode
from coalition.platform.members import service as members
from coalition.platform.runtime.settings import Settings
from coalition.platform.staff import sessions as staff_sessions
from coalition.platform.staff.rules import StaffRole
from tests.support.operator_pages import signed_in
from tests.support.town import Town
from tests.support.web_sessions import form_token

PAGE = "/portal/operator/members"


@pytest.fixture
async def redis(settings: Settings) -> AsyncIterator[Redis]:
    assert settings.redis_url
    connection = Redis.from_url(settings.redis_url)
    yield connection
    await connection.aclose()


async def _member(town: Town, shop: uuid.UUID) -> tuple[uuid.UUID, str]:
    async with town.sessions.begin() as session:
        record = await members.enrol(
            session, coalition_id=town.coalition_id, scope_id=shop, partner_id=shop,
            request=members.Enrolment(uuid.uuid4().hex, None, "Ann@Example.org", "+31612345678", None),
        )  # fmt: skip
    return record.id, record.card_number


async def _balance(town: Town, member_id: uuid.UUID) -> int:
    async with town.engine.connect() as c:
        return int(await c.scalar(text("SELECT balance FROM wallets WHERE member_id = :m"), {"m": member_id}))


async def test_find_block_unblock_and_adjust(town: Town, client: httpx.AsyncClient, redis: Redis) -> None:
    shop, _ = await town.partner("Bakery")
    member_id, card = await _member(town, shop)
    await town.earn(shop, card, "30")
    async with await signed_in(client, redis, town, StaffRole.OPERATOR_ADMIN) as admin:
        for by, q in (("card", card), ("email", "ann@example.ORG"), ("phone", "+31612345678")):
            found = await admin.get(PAGE, params={"by": by, "q": q})
            assert found.status_code == 200, by
            assert f"Card {card}" in found.text
        missing = await admin.get(PAGE, params={"by": "email", "q": "nobody@example.org"})
        assert missing.status_code == 404
        assert "No member found." in missing.text
        for by, q in (("card", ""), ("email", "not-an-address"), ("phone", "0612")):
            malformed = await admin.get(PAGE, params={"by": by, "q": q})
            assert 'id="f-find-q-error"' in malformed.text, by
        page = await admin.get(PAGE, params={"id": str(member_id)})
        token = form_token(page)

        no_reason = await admin.post(f"{PAGE}/{member_id}/block", data={"_csrf_token": token, "reason": ""})
        assert no_reason.status_code == 400
        assert 'id="f-block-reason-error"' in no_reason.text
        blocked = await admin.post(f"{PAGE}/{member_id}/block", data={"_csrf_token": token, "reason": "Fraud"})
        assert blocked.status_code == 303
        with pytest.raises(DomainError) as refused:
            await town.earn(shop, card, "10")
        assert refused.value.code is ErrorCode.MEMBER_BLOCKED
        with pytest.raises(DomainError) as spent:
            await town.redeem(shop, card, 10)
        assert spent.value.code is ErrorCode.MEMBER_BLOCKED
        shown = await admin.get(blocked.headers["location"])
        assert "Blocked: tills refuse the card" in shown.text
        unblocked = await admin.post(f"{PAGE}/{member_id}/unblock", data={"_csrf_token": token, "reason": ""})
        assert unblocked.status_code == 303
        await town.earn(shop, card, "10")

        bad = await admin.post(f"{PAGE}/{member_id}/adjust",
                               data={"_csrf_token": token, "key": "k1", "points": "0", "reason": ""})  # fmt: skip
        assert bad.status_code == 400
        assert 'id="f-adjust-points-error"' in bad.text
        assert 'id="f-adjust-reason-error"' in bad.text
        too_many = await admin.post(f"{PAGE}/{member_id}/adjust",
                                    data={"_csrf_token": token, "key": "k2", "points": "-1000", "reason": "x"})  # fmt: skip
        assert too_many.status_code == 400
        assert 'role="alert"' in too_many.text
        assert await _balance(town, member_id) == 40
        for _ in range(2):  # a double tap: the page's key posts it once
            added = await admin.post(f"{PAGE}/{member_id}/adjust",
                                     data={"_csrf_token": token, "key": "k3", "points": "25", "reason": "Sorry"})  # fmt: skip
            assert added.status_code == 303
        assert await _balance(town, member_id) == 65
        assert "Adjusted by the coalition" in (await admin.get(added.headers["location"])).text
    async with town.engine.connect() as c:
        actions = (await c.execute(text("SELECT action FROM audit_log WHERE subject_id = :m ORDER BY at"),
                                   {"m": member_id})).scalars().all()  # fmt: skip
    # The changes, in order; besides them, each look at the member's profile is audited too.
    assert [a for a in actions if a != "member.personal_data.read"] == ["member.block", "member.unblock",
                                                                        "member.adjust"]  # fmt: skip
    assert "member.personal_data.read" in actions


@pytest.mark.parametrize("role", [StaffRole.OPERATOR_FINANCE, StaffRole.OWNER, StaffRole.CASHIER])
async def test_others_may_not_block_or_adjust(town: Town, client: httpx.AsyncClient, redis: Redis,
                                             role: StaffRole) -> None:  # fmt: skip
    shop, _ = await town.partner("Bakery")
    member_id, card = await _member(town, shop)
    in_shop = shop if role is not StaffRole.OPERATOR_FINANCE else None
    async with await signed_in(client, redis, town, role, in_shop) as other:
        assert (await other.get(PAGE)).status_code == 403
        token = form_token(await other.get("/terms/none"))
        for action, data in (("block", {"reason": "x"}), ("adjust", {"points": "5", "reason": "x", "key": "k"})):
            refused = await other.post(f"{PAGE}/{member_id}/{action}", data={"_csrf_token": token, **data})
            assert refused.status_code == 403
    assert await _balance(town, member_id) == 0
    await town.earn(shop, card, "1")  # not blocked


async def test_no_token_or_no_session_changes_nothing(town: Town, client: httpx.AsyncClient, redis: Redis) -> None:
    shop, _ = await town.partner("Bakery")
    member_id, _ = await _member(town, shop)
    async with await signed_in(client, redis, town, StaffRole.OPERATOR_ADMIN) as admin:
        forged = await admin.post(f"{PAGE}/{member_id}/adjust", data={"points": "5", "reason": "x", "key": "k"})
        assert forged.status_code == 403
        token = form_token(await admin.get(PAGE))
        await staff_sessions.close(redis, admin.cookies[staff_sessions.COOKIE_NAME])
        expired = await admin.post(f"{PAGE}/{member_id}/adjust",
                                   data={"_csrf_token": token, "points": "5", "reason": "x", "key": "k"})  # fmt: skip
        assert expired.status_code == 303
        assert expired.headers["location"].startswith("/portal/sign-in")
    assert await _balance(town, member_id) == 0
