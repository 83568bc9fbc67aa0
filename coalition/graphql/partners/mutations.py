"""Partners' lifecycle: the operator invites, activates and suspends shops;
keys are issued and revoked by the operator or a shop's MANAGER."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from coalition.graphql.common import parse_id
from coalition.graphql.context import Context
from coalition.graphql.partners.inputs import CreatePartnerInput
from coalition.graphql.partners.payloads import ApiKeyPayload, PartnerPayload, RevokePayload
from coalition.graphql.partners.types import Partner, PartnerRole
from coalition.graphql.permissions import managed_partner, refusals_as, require_operator, revocation_scope
from coalition.partners import lifecycle as partners
from coalition.platform.auth import service as auth
from coalition.platform.auth.tokens import PartnerRole as Role
from coalition.platform.errors import DomainError, ErrorCode


@strawberry.type
class PartnerMutations:
    @strawberry.mutation(description="Operator: a new partner (INVITED) and its MANAGER key.")
    @refusals_as(PartnerPayload)
    async def create_partner(self, info: Info[Context, None], input: CreatePartnerInput) -> PartnerPayload:
        principal = require_operator(info.context, "create partners")
        async with info.context.unit_of_work() as session:
            partner, api_key = await partners.create_partner(
                session, principal, name=input.name, earn_rate_per_unit=input.earn_rate_per_unit,
                iban=input.iban, reference=input.reference,
            )  # fmt: skip
        return PartnerPayload(partner=Partner.of(partner), api_key=api_key)

    @strawberry.mutation(
        description="Operator: the partner's reference in receipt import files (null: none); unique in the "
        "coalition, whatever the case."
    )
    @refusals_as(PartnerPayload)
    async def set_partner_reference(
        self, info: Info[Context, None], id: strawberry.ID, reference: str | None
    ) -> PartnerPayload:
        principal = require_operator(info.context, "set partner references")
        async with info.context.unit_of_work() as session:
            partner = await partners.set_reference(session, principal, parse_id(id), reference)
        return PartnerPayload(partner=Partner.of(partner))

    @strawberry.mutation(description="Operator: the partner's tills may post.")
    @refusals_as(PartnerPayload)
    async def activate_partner(self, info: Info[Context, None], id: strawberry.ID) -> PartnerPayload:
        principal = require_operator(info.context, "activate partners")
        async with info.context.unit_of_work() as session:
            partner = await partners.set_status(session, principal, parse_id(id), "ACTIVE")
        return PartnerPayload(partner=Partner.of(partner))

    @strawberry.mutation(description="Operator: the partner's tills stop posting.")
    @refusals_as(PartnerPayload)
    async def suspend_partner(self, info: Info[Context, None], id: strawberry.ID, reason: str) -> PartnerPayload:
        principal = require_operator(info.context, "suspend partners")
        async with info.context.unit_of_work() as session:
            partner = await partners.set_status(session, principal, parse_id(id), "SUSPENDED", reason)
        return PartnerPayload(partner=Partner.of(partner))

    @strawberry.mutation(description="Operator, or a partner's MANAGER for its own shop: a new API key (shown once).")
    @refusals_as(ApiKeyPayload)
    async def create_api_key(
        self,
        info: Info[Context, None],
        role: PartnerRole,
        partner_id: strawberry.ID | None = None,
        label: str | None = None,
    ) -> ApiKeyPayload:
        target = managed_partner(info.context, "create API keys", partner_id)
        async with info.context.unit_of_work() as session:
            credential_id, key = await partners.issue_api_key(
                session, info.context.principal, target, Role(role.value), label
            )
        return ApiKeyPayload(id=strawberry.ID(str(credential_id)), api_key=key)

    @strawberry.mutation(
        description="Operator: revoke any credential of the coalition; a partner's MANAGER: its own shop's keys."
    )
    @refusals_as(RevokePayload)
    async def revoke_credential(self, info: Info[Context, None], id: strawberry.ID) -> RevokePayload:
        shop = revocation_scope(info.context)
        credential_id = parse_id(id)
        async with info.context.unit_of_work() as session:
            if not await auth.revoke(session, info.context.principal, credential_id, partner_id=shop):
                raise DomainError(ErrorCode.NOT_FOUND, "no such active credential", ("id",))
        return RevokePayload(revoked=True)
