"""``coalition admin staff``: appoint and remove staff people (bootstrap and support)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import click

from coalition.cli.running import coalition_id, emit, load_settings, parse_id, run, use_case, use_case_with

if TYPE_CHECKING:
    from coalition.platform.runtime.database import AsyncSession
    from coalition.platform.runtime.settings import Settings

ROLES = ["OPERATOR_ADMIN", "OPERATOR_FINANCE", "OWNER", "MANAGER", "CASHIER"]
OPTIONS = {"email": "--email", "role": "--role", "partnerId": "--partner", "language": "--language", "name": "--name"}


@click.group()
def staff() -> None:
    """Staff people: appoint (with an e-mailed invitation link) and remove."""


@staff.command("add")
@click.option("--coalition", "slug", required=True)
@click.option("--email", required=True)
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--partner", "partner_id", default=None, help="The shop's id (for OWNER, MANAGER, CASHIER).")
@click.option("--name", default=None, help="Default: the address's part before the @.")
@click.option("--language", default="en", show_default=True, help="en, nl, fr, pl or nb.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def add(
    slug: str, email: str, role: str, partner_id: str | None, name: str | None, language: str, as_json: bool
) -> None:
    """Appoint a person with ROLE and print their one-time invitation link
    (also queued as an e-mail), as the operator's admin would."""
    from coalition.platform.auth.service import Principal
    from coalition.platform.staff import rules
    from coalition.platform.staff import service as staff_service

    partner = parse_id(partner_id, "--partner") if partner_id else None
    settings = load_settings()
    mailing = staff_service.Mailing(settings.public_url, settings.mail_from)

    async def use(session: AsyncSession) -> dict[str, Any]:
        cli = Principal.local_operator(await coalition_id(session, slug), via="coalition admin staff add")
        invitation = await staff_service.invite(
            session, cli, [rules.Grant(rules.StaffRole.OPERATOR_ADMIN)],
            email=email, name=name or email.partition("@")[0], language=language,
            grant=rules.checked_grant(role, partner), mailing=mailing, now=datetime.now(UTC),
        )  # fmt: skip
        return {"id": str(invitation.person_id), "signInUrl": invitation.sign_in_url}

    emit(use_case(use, OPTIONS), as_json)


@staff.command("remove")
@click.option("--coalition", "slug", required=True)
@click.option("--email", required=True)
def remove(slug: str, email: str) -> None:
    """Remove a person; they are signed out everywhere at once."""
    from redis.asyncio import Redis

    from coalition.platform.auth.service import Principal
    from coalition.platform.staff import rules, sessions
    from coalition.platform.staff import service as staff_service

    async def use(session: AsyncSession) -> Any:
        cli = Principal.local_operator(await coalition_id(session, slug), via="coalition admin staff remove")
        return await staff_service.remove(
            session, cli, [rules.Grant(rules.StaffRole.OPERATOR_ADMIN)], email=email, now=datetime.now(UTC)
        )

    async def work(settings: Settings) -> int:
        person_id = await use_case_with(settings, use)
        assert settings.redis_url is not None
        redis = Redis.from_url(settings.redis_url)
        try:
            return await sessions.close_all_for(redis, person_id)
        finally:
            await redis.aclose()

    closed = run(work, OPTIONS)
    click.echo(f"removed; {closed} session(s) ended")
