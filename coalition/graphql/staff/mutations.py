"""Appointing and removing staff people. Who may appoint whom is the staff
rules' (``may_grant``): the operator's admin appoints operator staff and
shop owners, an owner their shop's managers and cashiers."""

from __future__ import annotations

from datetime import UTC, datetime

import strawberry
from strawberry.types import Info

from coalition.graphql.common import parse_id
from coalition.graphql.context import Context
from coalition.graphql.permissions import refusals_as, require_partner_or_operator
from coalition.graphql.staff.types import InviteStaffInput, RemoveStaffPayload, StaffPayload, StaffPerson
from coalition.platform.auth.tokens import CredentialKind
from coalition.platform.staff import rules, sessions
from coalition.platform.staff import service as staff


@strawberry.type
class StaffMutations:
    @strawberry.mutation(description="Appoint a person (new or already on the staff) and mail them an invitation.")
    @refusals_as(StaffPayload)
    async def invite_staff(self, info: Info[Context, None], input: InviteStaffInput) -> StaffPayload:
        principal = require_partner_or_operator(info.context, "appoint staff")
        partner = parse_id(input.partner_id, "partnerId") if input.partner_id else None
        if partner is None and principal.kind is CredentialKind.PARTNER:
            partner = principal.partner_id
        grant = rules.checked_grant(input.role.value, partner)
        async with info.context.unit_of_work() as session:
            granter = await staff.acting_grants(session, principal)
            invitation = await staff.invite(
                session, principal, granter, email=input.email, name=input.name, language=input.language,
                grant=grant, mailing=info.context.services.mailing, now=datetime.now(UTC),
            )  # fmt: skip
        async with info.context.services.reads.connect() as connection:
            listed = await staff.people(connection, principal.coalition_id, partner)
        person = next((p for p in listed if p.id == invitation.person_id), None)
        return StaffPayload(person=StaffPerson.of(person) if person else None)

    @strawberry.mutation(
        description="Remove a person from the staff (whoever may appoint each of their roles may); they are "
        "signed out everywhere at once."
    )
    @refusals_as(RemoveStaffPayload)
    async def remove_staff(self, info: Info[Context, None], email: str) -> RemoveStaffPayload:
        principal = require_partner_or_operator(info.context, "remove staff")
        async with info.context.unit_of_work() as session:
            granter = await staff.acting_grants(session, principal)
            person_id = await staff.remove(session, principal, granter, email=email, now=datetime.now(UTC))
        ended = await sessions.close_all_for(info.context.services.redis, person_id)
        return RemoveStaffPayload(removed=True, sessions_ended=ended)
