"""Joining in the wallet (open, and with an invite in an invite-only
coalition) and claiming a card enrolled at a till: bad input next to its
field with nothing changed, the same answer for an address or card that
cannot be used, and the code that finishes each."""

from __future__ import annotations

import uuid
from dataclasses import replace

from sqlalchemy import func, select

from coalition.platform.members.tables import members
from coalition.platform.programme import service as programme
from coalition.platform.programme.rules import EnrolmentMode
from tests.support.town import Town
from tests.support.wallet import browser, enter_code, last_code, mails_to, member_with_email, slug_of
from tests.support.web_sessions import form_token


async def _count(town: Town, email: str) -> int:
    async with town.engine.connect() as connection:
        query = select(func.count()).where(members.c.coalition_id == town.coalition_id, members.c.email == email)
        return int((await connection.execute(query)).scalar_one())


def _join_form(page, slug: str, **values: str) -> dict[str, str]:
    key = page.text.split('name="key" value="', 1)[1].split('"', 1)[0]
    return {"_csrf_token": form_token(page), "coalition": slug, "key": key, "terms": "yes", **values}


async def test_joining_then_the_code_signs_the_new_member_in(town: Town, client) -> None:
    slug = await slug_of(town)
    email = f"{uuid.uuid4().hex[:8]}@new.test"
    async with browser(client) as web:
        page = await web.get(f"/wallet/join?coalition={slug}")
        assert page.status_code == 200
        assert f'href="/terms/{slug}"' in page.text
        joined = await web.post("/wallet/join", data=_join_form(page, slug, email=email, birth_date="1990-04-01"))
        assert joined.status_code == 200
        assert await _count(town, email) == 1
        again = await web.post("/wallet/join", data=_join_form(page, slug, email=email))  # the same form twice
        assert again.status_code == 200
        assert await _count(town, email) == 1
        code, _ = await last_code(town, email)
        entered = await enter_code(web, joined, slug, email, code)
        assert entered.status_code == 303


async def test_joining_refuses_bad_input_next_to_its_field_and_keeps_nothing(town: Town, client) -> None:
    slug = await slug_of(town)
    email = f"{uuid.uuid4().hex[:8]}@new.test"
    async with browser(client) as web:
        page = await web.get(f"/wallet/join?coalition={slug}")
        cases = {
            "email": {"email": "not-an-address"},
            "phone": {"email": email, "phone": "0612"},
            "birth_date": {"email": email, "birth_date": "2999-01-01"},
            "referral_code": {"email": email, "referral_code": "NOSUCH22"},
            "terms": {"email": email, "terms": ""},
        }
        for field, values in cases.items():
            refused = await web.post("/wallet/join", data=_join_form(page, slug, **values))
            assert refused.status_code == 400, field
            assert f'id="field-{field}-error"' in refused.text, field
            assert 'value="' + values.get("email", "") + '"' in refused.text, field
        assert await _count(town, email) == 0
        assert await mails_to(town.engine, town, email) == []
        refused = await web.post("/wallet/join", data={"email": email, "terms": "yes", "coalition": slug})
        assert refused.status_code == 403
        assert await _count(town, email) == 0


async def test_an_address_already_a_members_gets_the_same_answer_and_a_sign_in_code(town: Town, client) -> None:
    _, email = await member_with_email(town)
    slug = await slug_of(town)
    async with browser(client) as web:
        page = await web.get(f"/wallet/join?coalition={slug}")
        joined = await web.post("/wallet/join", data=_join_form(page, slug, email=email))
        assert joined.status_code == 200
        assert "we have e-mailed a code" in joined.text
        assert await _count(town, email) == 1
        assert len(await mails_to(town.engine, town, email)) == 1


async def test_an_invite_only_coalition_wants_an_invite(town: Town, client) -> None:
    async with town.sessions.begin() as session:
        rules = await programme.current_rules(session, town.coalition_id)
        await programme.replace_rules(session, town.operator, replace(rules, enrolment=EnrolmentMode.INVITE_ONLY))
        invite = await programme.create_invite(session, town.operator, max_uses=1, expires_at=None, label=None)
    client._transport.app.state.services.coalition_rules.forget_all()
    slug = await slug_of(town)
    email = f"{uuid.uuid4().hex[:8]}@new.test"
    async with browser(client) as web:
        page = await web.get(f"/wallet/join?coalition={slug}")
        assert 'id="field-invite_code"' in page.text
        refused = await web.post("/wallet/join", data=_join_form(page, slug, email=email))
        assert refused.status_code == 400
        assert 'id="field-invite_code-error"' in refused.text
        assert await _count(town, email) == 0
        joined = await web.post("/wallet/join", data=_join_form(page, slug, email=email, invite_code=invite))
        assert joined.status_code == 200
        assert await _count(town, email) == 1
        used_up = await web.post(
            "/wallet/join", data=_join_form(page, slug, email=f"x{email}", invite_code=invite, key=uuid.uuid4().hex)
        )
        assert used_up.status_code == 400
        assert await _count(town, f"x{email}") == 0


async def test_a_till_card_is_claimed_with_an_address_and_its_code(town: Town, client) -> None:
    shop, _ = await town.partner("Bakery")
    member_id, card = await town.member(shop)
    slug = await slug_of(town)
    email = f"{uuid.uuid4().hex[:8]}@claim.test"
    async with browser(client) as web:
        page = await web.get(f"/wallet/claim?coalition={slug}")
        assert page.status_code == 200
        bad = await web.post(
            "/wallet/claim", data={"_csrf_token": form_token(page), "card_number": "!!", "email": email,
                                   "coalition": slug},
        )  # fmt: skip
        assert bad.status_code == 400
        assert 'id="field-card_number-error"' in bad.text
        unknown = await web.post(
            "/wallet/claim", data={"_csrf_token": form_token(page), "card_number": "8999999999999", "email": email,
                                   "coalition": slug},
        )  # fmt: skip
        asked = await web.post(
            "/wallet/claim", data={"_csrf_token": form_token(page), "card_number": card, "email": email,
                                   "coalition": slug},
        )  # fmt: skip
        assert unknown.status_code == asked.status_code == 200
        assert len(await mails_to(town.engine, town, email)) == 1
        assert await _count(town, email) == 0
        code, _ = await last_code(town, email)
        entered = await enter_code(web, asked, slug, email, code, purpose="claim")
        assert entered.status_code == 303
    async with town.engine.connect() as connection:
        found = (await connection.execute(select(members.c.email).where(members.c.id == member_id))).scalar_one()
    assert found == email


async def test_a_card_with_another_address_is_not_claimed(town: Town, client) -> None:
    _, owner = await member_with_email(town)
    slug = await slug_of(town)
    async with town.engine.connect() as connection:
        card = (await connection.execute(select(members.c.card_number).where(members.c.email == owner))).scalar_one()
    email = f"{uuid.uuid4().hex[:8]}@thief.test"
    async with browser(client) as web:
        page = await web.get(f"/wallet/claim?coalition={slug}")
        asked = await web.post(
            "/wallet/claim", data={"_csrf_token": form_token(page), "card_number": card, "email": email,
                                   "coalition": slug},
        )  # fmt: skip
        assert asked.status_code == 200
        assert await mails_to(town.engine, town, email) == []
