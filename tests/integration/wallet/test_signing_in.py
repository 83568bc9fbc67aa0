"""Signing in to the wallet with an e-mailed code or its link: the neutral
answer, the code's ten minutes and five tries, single use, the limits per
address and per client, the form token, fresh codes and signing out."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from coalition.platform.members import sessions
from tests.support.town import Town
from tests.support.wallet import ask_code, browser, enter_code, last_code, mails_to, member_with_email, slug_of
from tests.support.web_sessions import form_token


async def test_a_member_signs_in_with_the_code_and_the_answer_is_the_same_for_strangers(town: Town, client) -> None:
    _, email = await member_with_email(town)
    slug = await slug_of(town)
    async with browser(client) as web:
        known = await ask_code(web, slug, email, "/wallet/points")
        stranger = await ask_code(web, slug, "nobody@nowhere.test", "/wallet/points")
        assert known.status_code == stranger.status_code == 200
        assert known.text.replace(email, "X") == stranger.text.replace("nobody@nowhere.test", "X").replace(
            form_token(stranger), form_token(known)
        )
        assert await mails_to(town.engine, town, "nobody@nowhere.test") == []
        code, _ = await last_code(town, email)
        entered = await enter_code(web, known, slug, email, code, next_path="/wallet/points")
        assert entered.status_code == 303
        assert entered.headers["location"] == "/wallet/points"
        assert (await web.get("/wallet/passkeys")).status_code == 200


async def test_the_code_lives_ten_minutes_and_works_once(town: Town, client) -> None:
    _, email = await member_with_email(town)
    slug = await slug_of(town)
    redis = client._transport.app.state.services.redis
    async with browser(client) as web:
        asked = await ask_code(web, slug, email)
        keys = [key async for key in redis.scan_iter(f"wallet:code:sign-in:{town.coalition_id}:*")]
        assert len(keys) == 1
        assert 590 <= await redis.ttl(keys[0]) <= 600
        code, _ = await last_code(town, email)
        assert (await enter_code(web, asked, slug, email, code)).status_code == 303
    async with browser(client) as other:
        again = await enter_code(other, await other.get(f"/wallet/sign-in?coalition={slug}"), slug, email, code)
        assert again.status_code == 400
        assert "expired or was already used" in again.text
        asked = await ask_code(other, slug, email)
        code, _ = await last_code(town, email)
        [key] = [key async for key in redis.scan_iter(f"wallet:code:sign-in:{town.coalition_id}:*")]
        await redis.delete(key)  # ten minutes have passed
        expired = await enter_code(other, asked, slug, email, code)
        assert expired.status_code == 400
        assert "expired or was already used" in expired.text


async def test_five_tries_then_even_the_right_code_is_refused(town: Town, client) -> None:
    _, email = await member_with_email(town)
    slug = await slug_of(town)
    async with browser(client) as web:
        asked = await ask_code(web, slug, email)
        code, _ = await last_code(town, email)
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        answers = [await enter_code(web, asked, slug, email, wrong) for _ in range(5)]
        assert [a.status_code for a in answers] == [400] * 5
        assert 'id="field-code-error"' in answers[0].text
        assert "not the code we sent" in answers[3].text
        assert "Too many wrong codes" in answers[4].text
        sixth = await enter_code(web, asked, slug, email, code)
        assert sixth.status_code == 400
        assert sessions.COOKIE_NAME not in sixth.cookies


async def test_the_link_opens_a_page_and_only_its_button_signs_in(town: Town, client) -> None:
    _, email = await member_with_email(town)
    slug = await slug_of(town)
    async with browser(client) as web:
        await ask_code(web, slug, email, "/wallet/rewards")
        _, link = await last_code(town, email)
        path = link.split("coalition.test", 1)[-1].split("8000", 1)[-1]
        assert "next=%2Fwallet%2Frewards" in path
        for _ in range(2):  # a mail scanner opening it spends nothing
            opened = await web.get(path)
            assert opened.status_code == 200
            assert sessions.COOKIE_NAME not in opened.cookies
        no_token = await web.post(path.split("?")[0], data={"next": "/wallet/rewards"})
        assert no_token.status_code == 403
        confirmed = await web.post(
            path.split("?")[0], data={"_csrf_token": form_token(opened), "next": "/wallet/rewards"}
        )
        assert confirmed.status_code == 303
        assert confirmed.headers["location"] == "/wallet/rewards"
        again = await web.post(path.split("?")[0], data={"_csrf_token": form_token(opened)})
        assert again.status_code == 410


async def test_forms_without_their_token_are_refused_and_bad_addresses_are_shown_at_the_field(
    town: Town, client
) -> None:
    slug = await slug_of(town)
    async with browser(client) as web:
        page = await web.get(f"/wallet/sign-in?coalition={slug}")
        assert page.status_code == 200
        refused = await web.post("/wallet/sign-in", data={"email": "a@b.test", "coalition": slug})
        assert refused.status_code == 403
        bad = await web.post(
            "/wallet/sign-in", data={"_csrf_token": form_token(page), "email": "not an address", "coalition": slug}
        )
        assert bad.status_code == 400
        assert 'id="field-email-error"' in bad.text
        assert 'aria-invalid="true"' in bad.text


async def test_asking_is_limited_per_address_and_per_client(town: Town, client) -> None:
    _, email = await member_with_email(town)
    slug = await slug_of(town)
    async with browser(client) as web:
        answers = [await ask_code(web, slug, email) for _ in range(6)]
        assert [a.status_code for a in answers] == [200] * 5 + [429]
        assert "Too many codes asked for" in answers[5].text
        assert len(await mails_to(town.engine, town, email)) == 5
        others = [await ask_code(web, slug, f"{uuid.uuid4().hex[:8]}@x.test") for _ in range(25)]
        assert [a.status_code for a in others] == [200] * 24 + [429]
    async with browser(client) as elsewhere:  # another client may still ask for another address
        assert (await ask_code(elsewhere, slug, f"{uuid.uuid4().hex[:8]}@x.test")).status_code == 200


async def test_a_stale_session_is_made_fresh_with_a_new_code_and_goes_back(town: Town, client) -> None:
    member_id, email = await member_with_email(town)
    redis = client._transport.app.state.services.redis
    long_ago = datetime.now(UTC) - timedelta(minutes=20)
    session_id = await sessions.open_session(redis, member_id=member_id, coalition_id=town.coalition_id, now=long_ago)
    async with browser(client) as web:
        web.cookies.set(sessions.COOKIE_NAME, session_id)
        page = await web.get("/wallet/sign-in?fresh=1&next=/wallet/give")
        assert page.status_code == 200
        assert 'action="/wallet/sign-in/fresh"' in page.text
        asked = await web.post("/wallet/sign-in/fresh", data={"_csrf_token": form_token(page), "next": "/wallet/give"})
        assert asked.status_code == 200
        code, _ = await last_code(town, email)
        proven = await enter_code(web, asked, "", "", code, purpose="fresh", next_path="/wallet/give")
        assert proven.status_code == 303
        assert proven.headers["location"] == "/wallet/give"
        session = await sessions.load_session(redis, session_id, datetime.now(UTC))
        assert session is not None
        assert session.is_fresh(datetime.now(UTC))
        assert session.signed_in_at < session.proven_at


async def test_signing_out_ends_the_session(town: Town, client) -> None:
    member_id, _ = await member_with_email(town)
    redis = client._transport.app.state.services.redis
    async with browser(client) as web:
        session_id = await sessions.open_session(
            redis, member_id=member_id, coalition_id=town.coalition_id, now=datetime.now(UTC)
        )
        web.cookies.set(sessions.COOKIE_NAME, session_id)
        page = await web.get("/wallet/passkeys")
        out = await web.post("/wallet/sign-out", data={"_csrf_token": form_token(page)})
        assert out.status_code == 303
        # The browser drops the card the service worker kept: the next person on a shared phone does not see it.
        assert out.headers["clear-site-data"] == '"cache", "storage"'
        assert await sessions.load_session(redis, session_id, datetime.now(UTC)) is None
        web.cookies.set(sessions.COOKIE_NAME, session_id)
        after = await web.get("/wallet/passkeys")
        assert after.status_code == 303
        assert after.headers["location"].startswith("/wallet/sign-in?next=")


async def test_the_next_page_stays_in_the_wallet(town: Town, client) -> None:
    _, email = await member_with_email(town)
    slug = await slug_of(town)
    async with browser(client) as web:
        asked = await ask_code(web, slug, email, "https://evil.example/")
        code, _ = await last_code(town, email)
        entered = await enter_code(web, asked, slug, email, code, next_path="//evil.example/")
        assert entered.headers["location"] == "/wallet"


async def test_without_a_coalition_to_sign_in_to_the_page_says_so(town: Town, client) -> None:
    await Town(town.engine, town.ledger, town.setups).create()  # two coalitions: neither is the obvious one
    async with browser(client) as web:
        page = await web.get("/wallet/sign-in")
        assert page.status_code == 404
        assert "Which programme?" in page.text
        slug = await slug_of(town)
        assert (await web.get(f"/wallet/sign-in?coalition={slug}")).status_code == 200
        remembered = await web.get("/wallet/join")  # the browser remembers the coalition
        assert remembered.status_code == 200
        assert (await web.get("/wallet/claim")).status_code == 200
        dead = await web.get("/wallet/sign-in/link/not-a-real-token")
        assert dead.status_code == 410
        assert "This link no longer works" in dead.text
