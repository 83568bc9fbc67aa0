"""A shop's settings for insights: set by its owner or manager, or the operator."""

from __future__ import annotations

from decimal import Decimal

import strawberry
from strawberry.types import Info

from coalition.graphql.context import Context
from coalition.graphql.partners.payloads import PartnerPayload
from coalition.graphql.partners.types import Partner
from coalition.graphql.permissions import managed_partner, refusals_as
from coalition.insights import settings


@strawberry.input
class PartnerInsightSettingsInput:
    kind: str | None = strawberry.field(
        default=None, description='The kind of shop, 1-40 characters (e.g. "bakery"); null or blank: none.'
    )
    named_in_insights: bool = strawberry.field(
        default=False, description="Whether other shops' insights may name this shop."
    )
    margin: Decimal | None = strawberry.field(
        default=None, description="Margin on sales as a fraction 0..1 with at most four decimals (0.30 for 30%)."
    )


@strawberry.type
class InsightMutations:
    @strawberry.mutation(
        description="A shop's settings for insights: its MANAGER key (owners and managers) for its own shop, "
        "or the operator for any."
    )
    @refusals_as(PartnerPayload)
    async def set_partner_insight_settings(
        self, info: Info[Context, None], input: PartnerInsightSettingsInput, partner_id: strawberry.ID | None = None
    ) -> PartnerPayload:
        target = managed_partner(info.context, "change a shop's insight settings", partner_id)
        checked = settings.checked_settings(input.kind, input.named_in_insights, input.margin)
        async with info.context.unit_of_work() as session:
            record = await settings.set_insight_settings(session, info.context.principal, target, checked)
        return PartnerPayload(partner=Partner.of(record))
