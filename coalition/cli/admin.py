"""``coalition admin``: coalitions, partners, members and credentials."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import click

from coalition.cli.running import coalition_id, emit, parse_decimal, parse_id, use_case
from coalition.cli.staff import staff

if TYPE_CHECKING:
    from coalition.platform.runtime.database import AsyncSession

AS_JSON = click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")


@click.group()
def admin() -> None:
    """Coalitions, partners, members and credentials."""


admin.add_command(staff)


@admin.command("create-coalition")
@click.option("--slug", required=True, help="Its short name in commands and URLs, e.g. stadshart.")
@click.option("--name", required=True)
@click.option("--currency", required=True, help="ISO 4217, e.g. EUR.")
@click.option("--point-value", required=True, help="Money per point, e.g. 0.01.")
@click.option("--timezone", required=True, help="IANA zone, e.g. Europe/Amsterdam.")
@click.option("--points-name", default=None)
@click.option("--pending-days", type=int, default=0, show_default=True)
@click.option("--expiry-months", type=int, default=24, show_default=True, help="0: never expire.")
@AS_JSON
def create_coalition(
    slug: str, name: str, currency: str, point_value: str, timezone: str,
    points_name: str | None, pending_days: int, expiry_months: int, as_json: bool,
) -> None:  # fmt: skip
    """Create a coalition and print its first operator token."""
    from coalition.platform.coalitions.service import create_coalition as create

    async def use(session: AsyncSession) -> dict[str, Any]:
        record, token = await create(
            session, slug=slug, name=name, currency=currency.upper(), point_value=point_value,
            timezone=timezone, points_name=points_name, pending_days=pending_days,
            expiry_months=expiry_months or None,
        )  # fmt: skip
        return {"id": str(record.id), "slug": record.slug, "operatorToken": token}

    options = {"slug": "--slug", "currency": "--currency", "pointValue": "--point-value", "timezone": "--timezone",
               "pendingDays": "--pending-days", "expiryMonths": "--expiry-months"}  # fmt: skip
    emit(use_case(use, options), as_json)


@admin.command("operator-token")
@click.option("--coalition", "slug", required=True)
@AS_JSON
def operator_token(slug: str, as_json: bool) -> None:
    """Issue another operator token (its id is what `admin revoke` takes)."""
    from coalition.platform.auth.service import issue
    from coalition.platform.auth.tokens import CredentialKind

    async def use(session: AsyncSession) -> dict[str, Any]:
        credential_id, token = await issue(
            session, coalition_id=await coalition_id(session, slug), kind=CredentialKind.OPERATOR
        )
        return {"id": str(credential_id), "token": token}

    emit(use_case(use), as_json)


@admin.command("enrol-member")
@click.option("--coalition", "slug", required=True)
@click.option("--card", default=None, help="The card's number (default: a new one is issued).")
@click.option("--email", default=None)
@AS_JSON
def enrol_member(slug: str, card: str | None, email: str | None, as_json: bool) -> None:
    """Enrol a member (safe to repeat for the same card: it is enrolled once)."""
    from coalition.platform.members import service as members

    # The same card enrolled twice is one request repeated, not a second member.
    key = f"cli-enrol-{card}" if card else f"cli-enrol-{uuid.uuid4().hex}"

    async def use(session: AsyncSession) -> dict[str, Any]:
        coalition = await coalition_id(session, slug)
        member = await members.enrol(
            session, coalition_id=coalition, scope_id=coalition, partner_id=None,
            request=members.Enrolment(key, card, email, None, None),
        )  # fmt: skip
        return {"id": str(member.id), "cardNumber": member.card_number}

    emit(use_case(use, {"cardNumber": "--card", "email": "--email"}), as_json)


@admin.command("member-token")
@click.option("--coalition", "slug", required=True)
@click.option("--card", required=True)
@AS_JSON
def member_token(slug: str, card: str, as_json: bool) -> None:
    """Issue a token for the member with this card (for the wallet app)."""
    from coalition.platform.auth.service import issue
    from coalition.platform.auth.tokens import CredentialKind
    from coalition.platform.members.repository import member_by_card

    async def use(session: AsyncSession) -> dict[str, Any]:
        coalition = await coalition_id(session, slug)
        member = await member_by_card(session, coalition, card)
        if member is None:
            raise click.BadParameter(
                f"no member with card {card!r} (enrol one: `coalition admin enrol-member`)", param_hint=["--card"]
            )
        credential_id, token = await issue(
            session, coalition_id=coalition, kind=CredentialKind.MEMBER, member_id=member.id
        )
        return {"id": str(credential_id), "token": token}

    emit(use_case(use), as_json)


@admin.command("create-partner")
@click.option("--coalition", "slug", required=True)
@click.option("--name", required=True)
@click.option("--earn-rate", required=True, help="Points per 1.00 spent.")
@click.option("--iban", default=None, help="Its payout account.")
@click.option("--activate", is_flag=True, help="Make it ACTIVE at once.")
@AS_JSON
def create_partner(slug: str, name: str, earn_rate: str, iban: str | None, activate: bool, as_json: bool) -> None:
    """Create a partner and print its MANAGER API key."""
    from coalition.partners import lifecycle as partners
    from coalition.platform.auth.service import Principal

    rate = parse_decimal(earn_rate, "--earn-rate")

    async def use(session: AsyncSession) -> dict[str, Any]:
        cli = Principal.local_operator(await coalition_id(session, slug), via="coalition admin create-partner")
        partner, key = await partners.create_partner(session, cli, name=name, earn_rate_per_unit=rate, iban=iban)
        if activate:
            partner = await partners.set_status(session, cli, partner.id, "ACTIVE")
        return {"id": str(partner.id), "status": partner.status, "apiKey": key}

    emit(use_case(use, {"name": "--name", "earnRate": "--earn-rate", "iban": "--iban"}), as_json)


@admin.command("api-key")
@click.option("--coalition", "slug", required=True)
@click.option("--partner", "partner_id", required=True, help="The partner's id.")
@click.option("--role", type=click.Choice(["POS", "MANAGER"]), default="POS", show_default=True)
@click.option("--label", default=None, help="E.g. which till.")
@AS_JSON
def api_key(slug: str, partner_id: str, role: str, label: str | None, as_json: bool) -> None:
    """Issue an API key for a partner (shown once)."""
    from coalition.partners import lifecycle as partners
    from coalition.platform.auth.service import Principal
    from coalition.platform.auth.tokens import PartnerRole

    partner = parse_id(partner_id, "--partner")

    async def use(session: AsyncSession) -> dict[str, Any]:
        cli = Principal.local_operator(await coalition_id(session, slug), via="coalition admin api-key")
        credential_id, key = await partners.issue_api_key(session, cli, partner, PartnerRole(role), label)
        return {"id": str(credential_id), "apiKey": key}

    emit(use_case(use, {"partnerId": "--partner", "id": "--partner", "label": "--label"}), as_json)


@admin.command("revoke")
@click.option("--coalition", "slug", required=True)
@click.option("--credential", "credential_id", required=True, help="The credential's id.")
def revoke(slug: str, credential_id: str) -> None:
    """Revoke a key or token; running API processes refuse it at once."""
    from coalition.platform.auth.service import Principal
    from coalition.platform.auth.service import revoke as revoke_credential

    target = parse_id(credential_id, "--credential")

    async def use(session: AsyncSession) -> bool:
        cli = Principal.local_operator(await coalition_id(session, slug), via="coalition admin revoke")
        return await revoke_credential(session, cli, target)  # announced to the API processes once committed

    if not use_case(use):
        raise click.BadParameter(f"no active credential {credential_id} in {slug!r}", param_hint=["--credential"])
    click.echo("revoked")
