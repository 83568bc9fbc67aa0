"""`coalition admin staff add|remove` as an operator runs them: real processes, real servers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime

import pytest
from redis.asyncio import Redis
from sqlalchemy import text

from coalition.platform.outbox.repository import mails_to
from coalition.platform.staff import sessions
from coalition.platform.staff.rules import Grant, StaffRole


def coalition(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "coalition", "admin", "staff", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def env(settings) -> dict[str, str]:
    return {
        **os.environ,
        "COALITION_DATABASE_URL": settings.database_url,
        "COALITION_REDIS_URL": settings.redis_url,
        "COALITION_PUBLIC_URL": "https://portal.town.example",
    }


async def _slug(town) -> str:
    async with town.engine.connect() as connection:
        found = await connection.execute(text("SELECT slug FROM coalitions WHERE id = :i"), {"i": town.coalition_id})
        return str(found.scalar_one())


async def test_add_prints_the_person_and_a_one_time_invitation_link_also_queued_as_a_mail(town, env) -> None:
    slug, (shop, _) = await _slug(town), await town.partner("Bakery")
    email = f"owner-{uuid.uuid4().hex[:6]}@bakery.example"
    added = coalition("add", "--coalition", slug, "--email", email, "--role", "OWNER", "--partner", str(shop),
                      "--json", env=env)  # fmt: skip
    assert added.returncode == 0, added.stderr
    printed = json.loads(added.stdout)
    assert set(printed) == {"id", "signInUrl"}
    assert printed["signInUrl"].startswith("https://portal.town.example/portal/invitation/")
    async with town.engine.connect() as connection:
        [mail] = await mails_to(connection, town.coalition_id, email)
        roles = await connection.execute(
            text("SELECT role, partner_id FROM staff_roles WHERE person_id = :p"), {"p": uuid.UUID(printed["id"])}
        )
        assert [tuple(row) for row in roles] == [("OWNER", shop)]
    assert printed["signInUrl"] in mail.body


@pytest.mark.parametrize(
    ("extra", "option"),
    [
        (["--role", "BARISTA"], "--role"),
        (["--role", "OWNER"], "--partner"),
        (["--role", "OWNER", "--partner", "not-an-id"], "--partner"),
        (["--role", "OWNER", "--partner", str(uuid.uuid4())], "--partner"),
        (["--role", "OPERATOR_FINANCE", "--language", "xx"], "--language"),
    ],
)
async def test_bad_values_are_refused_naming_their_option(town, env, extra: list[str], option: str) -> None:
    email = f"x-{uuid.uuid4().hex[:6]}@town.example"
    refused = coalition("add", "--coalition", await _slug(town), "--email", email, *extra, env=env)
    assert refused.returncode == 2, refused.stderr
    assert option in refused.stderr
    async with town.engine.connect() as connection:
        assert await mails_to(connection, town.coalition_id, email) == []


async def test_bad_address_and_unknown_coalition_name_their_option(town, env) -> None:
    bad_email = coalition(
        "add", "--coalition", await _slug(town), "--email", "nobody", "--role", "OPERATOR_ADMIN", env=env
    )
    no_coalition = coalition("add", "--coalition", "nowhere-" + uuid.uuid4().hex[:6], "--email", "a@b.example",
                             "--role", "OPERATOR_ADMIN", env=env)  # fmt: skip
    assert bad_email.returncode == 2
    assert "--email" in bad_email.stderr
    assert no_coalition.returncode == 2
    assert "--coalition" in no_coalition.stderr


async def test_remove_signs_the_person_out_everywhere(town, env, settings) -> None:
    slug = await _slug(town)
    email = f"fin-{uuid.uuid4().hex[:6]}@town.example"
    added = json.loads(coalition("add", "--coalition", slug, "--email", email, "--role", "OPERATOR_FINANCE", "--json",
                                 env=env).stdout)  # fmt: skip
    person, now = uuid.UUID(added["id"]), datetime.now(UTC)
    redis = Redis.from_url(settings.redis_url)
    try:
        opened = [
            await sessions.open_session(
                redis,
                person_id=person,
                coalition_id=town.coalition_id,
                grant=Grant(StaffRole.OPERATOR_FINANCE),
                now=now,
            )
            for _ in range(2)
        ]
        removed = coalition("remove", "--coalition", slug, "--email", email.upper(), env=env)
        again = coalition("remove", "--coalition", slug, "--email", email, env=env)
        assert removed.returncode == 0, removed.stderr
        assert "2 session(s) ended" in removed.stdout
        assert [await sessions.load_session(redis, s, now) for s in opened] == [None, None]
        assert again.returncode == 2
        assert "--email" in again.stderr
    finally:
        await redis.aclose()
