"""Passkeys: added from the wallet by a freshly signed-in member, then used
to sign in, checked by the ``webauthn`` library against a software
authenticator's real signatures; listed and removed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import select

from coalition.platform.audit.tables import audit_log
from coalition.platform.members import sessions
from tests.support.passkeys import SoftwareAuthenticator
from tests.support.town import Town
from tests.support.wallet import browser, member_with_email, slug_of
from tests.support.web_sessions import form_token


def _origin(client) -> str:
    url = urlsplit(client._transport.app.state.settings.public_url)
    return f"{url.scheme}://{url.netloc}"


async def test_a_passkey_added_in_the_wallet_signs_the_member_in(town: Town, client) -> None:
    member_id, _ = await member_with_email(town)
    slug = await slug_of(town)
    redis = client._transport.app.state.services.redis
    authenticator = SoftwareAuthenticator(origin=_origin(client))
    async with browser(client) as web:
        session_id = await sessions.open_session(
            redis, member_id=member_id, coalition_id=town.coalition_id, now=datetime.now(UTC)
        )
        web.cookies.set(sessions.COOKIE_NAME, session_id)
        page = await web.get("/wallet/passkeys")
        assert page.status_code == 200
        assert "You have no passkeys yet." in page.text
        token = {"x-csrftoken": form_token(page)}
        assert (await web.post("/wallet/passkeys/options")).status_code == 403  # no token
        options = (await web.post("/wallet/passkeys/options", headers=token)).json()
        made = authenticator.create(options)
        added = await web.post("/wallet/passkeys", headers=token, json={"credential": made, "name": "My phone"})
        assert added.status_code == 201, added.text
        replayed = await web.post("/wallet/passkeys", headers=token, json={"credential": made, "name": "Again"})
        assert replayed.status_code == 400  # the challenge was used
        listed = await web.get("/wallet/passkeys")
        assert "My phone" in listed.text

    async with browser(client) as phone:
        page = await phone.get(f"/wallet/sign-in?coalition={slug}")
        token = {"x-csrftoken": form_token(page)}
        answer = (await phone.post("/wallet/sign-in/passkey/options", headers=token)).json()
        used = authenticator.get(answer["options"])
        signed = await phone.post(
            "/wallet/sign-in/passkey", headers=token,
            json={"ceremony": answer["ceremony"], "credential": used, "next": "/wallet/points", "coalition": slug},
        )  # fmt: skip
        assert signed.status_code == 200, signed.text
        assert signed.json() == {"redirect": "/wallet/points"}
        assert (await phone.get("/wallet/passkeys")).status_code == 200

        replay = await phone.post(
            "/wallet/sign-in/passkey", headers=token,
            json={"ceremony": answer["ceremony"], "credential": used, "coalition": slug},
        )  # fmt: skip
        assert replay.status_code == 403
        forged_answer = (await phone.post("/wallet/sign-in/passkey/options", headers=token)).json()
        forged = SoftwareAuthenticator(origin=_origin(client), credential_id=authenticator.credential_id)
        forged.user_handle = authenticator.user_handle
        refused = await phone.post(
            "/wallet/sign-in/passkey", headers=token,
            json={"ceremony": forged_answer["ceremony"], "credential": forged.get(forged_answer["options"]),
                  "coalition": slug},
        )  # fmt: skip
        assert refused.status_code == 403

        listed = await phone.get("/wallet/passkeys")
        passkey_id = listed.text.split('action="/wallet/passkeys/', 1)[1].split("/remove", 1)[0]
        removed = await phone.post(f"/wallet/passkeys/{passkey_id}/remove", data={"_csrf_token": form_token(listed)})
        assert removed.status_code == 303
        assert "You have no passkeys yet." in (await phone.get("/wallet/passkeys")).text

    async with browser(client) as later:
        page = await later.get(f"/wallet/sign-in?coalition={slug}")
        token = {"x-csrftoken": form_token(page)}
        answer = (await later.post("/wallet/sign-in/passkey/options", headers=token)).json()
        gone = await later.post(
            "/wallet/sign-in/passkey", headers=token,
            json={"ceremony": answer["ceremony"], "credential": authenticator.get(answer["options"]), "coalition": slug},
        )  # fmt: skip
        assert gone.status_code == 403
    async with town.engine.connect() as connection:
        actions = (
            await connection.execute(
                select(audit_log.c.action).where(audit_log.c.actor == f"member:{member_id}:web:wallet")
                .order_by(audit_log.c.at, audit_log.c.id)
            )
        ).scalars().all()  # fmt: skip
    assert actions == ["member.passkey_add", "member.passkey_remove"]


async def test_adding_a_passkey_wants_a_fresh_sign_in(town: Town, client) -> None:
    member_id, _ = await member_with_email(town)
    redis = client._transport.app.state.services.redis
    long_ago = datetime.now(UTC) - timedelta(minutes=20)
    async with browser(client) as web:
        session_id = await sessions.open_session(redis, member_id=member_id, coalition_id=town.coalition_id,
                                                 now=long_ago)  # fmt: skip
        web.cookies.set(sessions.COOKIE_NAME, session_id)
        page = await web.get("/wallet/passkeys")
        assert "/wallet/sign-in?fresh=1" in page.text
        options = await web.post("/wallet/passkeys/options", headers={"x-csrftoken": form_token(page)})
        assert options.status_code == 403
