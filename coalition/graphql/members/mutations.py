"""Enrolment, at a till or by the operator."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from coalition.graphql.context import Context
from coalition.graphql.members.inputs import EnrollMemberInput
from coalition.graphql.members.types import Member, MemberPayload
from coalition.graphql.permissions import refusals_as, require_partner_or_operator
from coalition.platform.members import service as members


@strawberry.type
class MemberMutations:
    @strawberry.mutation(description="Enrol a member at the till (or by the operator).")
    @refusals_as(MemberPayload)
    async def enroll_member(self, info: Info[Context, None], input: EnrollMemberInput) -> MemberPayload:
        principal = require_partner_or_operator(info.context, "enrol members")
        async with info.context.unit_of_work() as session:
            member = await members.enrol(
                session,
                coalition_id=principal.coalition_id,
                scope_id=principal.partner_id or principal.coalition_id,
                partner_id=principal.partner_id,
                request=members.Enrolment(
                    idempotency_key=input.idempotency_key,
                    card_number=input.card_number,
                    email=input.email,
                    phone=input.phone,
                    birth_date=input.birth_date,
                    invite_code=input.invite_code,
                    referral_code=input.referral_code,
                ),
            )
        return MemberPayload(member=Member.of(member))
