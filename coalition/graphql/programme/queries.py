"""Reading the programme: the coalition-wide rules, partners' earn rules,
campaigns, challenges, stamp cards and rewards, charities, a coupon at the
till, the audit log and the programme terms."""

from __future__ import annotations

from datetime import UTC, datetime

import strawberry
from strawberry.types import Info

from coalition.graphql import permissions
from coalition.graphql.common import keyset_cursor, page_size, parse_id, parse_keyset_cursor
from coalition.graphql.context import Context
from coalition.graphql.partners.challenges import Challenge
from coalition.graphql.partners.types import Campaign, Coupon, EarnRules, Reward, StampCard
from coalition.graphql.programme.inputs import EarnPreviewInput, earn_rules_of
from coalition.graphql.programme.types import (
    AuditConnection,
    AuditEntry,
    AuditEntryEdge,
    Charity,
    CoalitionRules,
    EarnPreview,
    EarnPreviewPayload,
    ProgramTerms,
    TermsSection,
)
from coalition.partners import reads as partner_reads
from coalition.partners import terms
from coalition.partners.earning import preview as earn_preview
from coalition.platform.audit import reads as audit_reads
from coalition.platform.errors import validation
from coalition.platform.programme import reads as programme_reads


@strawberry.type
class ProgrammeQueries:
    @strawberry.field(description="The coalition-wide rules: limits, bonuses, tiers, enrolment, transfers.")
    async def coalition_rules(self, info: Info[Context, None]) -> CoalitionRules:
        return CoalitionRules.of(await info.context.services.coalition_rules.get(info.context.principal.coalition_id))

    @strawberry.field(description="A partner's earn rules (a partner: its own; the operator: any).")
    async def earn_rules(self, info: Info[Context, None], partner_id: strawberry.ID | None = None) -> EarnRules | None:
        principal = info.context.principal
        if not permissions.may_see_earn_rules(principal):
            return None
        target = permissions.programme_partner(principal, partner_id)
        if target is None:
            raise validation("partnerId is required", "partnerId")
        partner = await info.context.partners.load(target)
        if partner is None or not permissions.may_see_partner(principal, partner):
            return None
        async with info.context.services.engine.connect() as connection:
            rules = await partner_reads.earn_rules(connection, target)
        return EarnRules.of(rules) if rules else None

    @strawberry.field(
        description="MANAGER (own shop) or operator: what a sample basket would earn under earn rules being "
        "edited, by the till's own engine, before saving them; errors as setEarnRules would give."
    )
    @permissions.refusals_as(EarnPreviewPayload)
    async def earn_preview(
        self, info: Info[Context, None], input: EarnPreviewInput, partner_id: strawberry.ID | None = None
    ) -> EarnPreviewPayload:
        target = permissions.managed_partner(info.context, "preview earn rules", partner_id)
        earned = await earn_preview.preview(
            info.context.services.till_setups,
            target,
            earn_rules_of(input.rules),
            input.amount,
            [earn_preview.SampleLine(line.category, line.amount) for line in input.lines],
        )
        return EarnPreviewPayload(preview=EarnPreview(points=earned.points, explanation=earned.explanation))

    @strawberry.field(description="Campaigns: a partner's own and the coalition-wide ones; running and upcoming.")
    async def campaigns(
        self, info: Info[Context, None], partner_id: strawberry.ID | None = None, include_ended: bool = False
    ) -> list[Campaign]:
        principal = info.context.principal
        async with info.context.services.engine.connect() as connection:
            found = await partner_reads.campaigns(
                connection,
                principal.coalition_id,
                partner_id=permissions.programme_partner(principal, partner_id),
                include_ended=include_ended and permissions.may_see_ended_campaigns(principal),
            )
        return [Campaign.of(c) for c in found]

    @strawberry.field(description="One campaign (as the campaigns list shows them), with its audience and experiment.")
    async def campaign(self, info: Info[Context, None], id: strawberry.ID) -> Campaign | None:
        principal = info.context.principal
        async with info.context.services.engine.connect() as connection:
            found = await partner_reads.campaign(connection, principal.coalition_id, parse_id(id))
        if found is None or not permissions.may_see_campaign(
            principal, found.partner_id, found.ends_at <= datetime.now(UTC)
        ):
            return None
        return Campaign.of(found)

    @strawberry.field(description="Cross-shop challenges running or coming up.")
    async def challenges(self, info: Info[Context, None], include_ended: bool = False) -> list[Challenge]:
        principal = info.context.principal
        async with info.context.services.engine.connect() as connection:
            found = await partner_reads.challenges(
                connection,
                principal.coalition_id,
                include_ended=include_ended and permissions.may_see_ended_challenges(principal),
            )
        return [Challenge.of(c) for c in found]

    @strawberry.field(description="Stamp cards (a partner: its own; others: every active card).")
    async def stamp_cards(self, info: Info[Context, None], partner_id: strawberry.ID | None = None) -> list[StampCard]:
        principal = info.context.principal
        target = permissions.programme_partner(principal, partner_id)
        cards = await info.context.stamp_cards.load(principal.coalition_id) or []
        return [StampCard.of(c) for c in cards if target is None or c.partner_id == target]

    @strawberry.field(description="The rewards catalogue: what points buy, shop by shop.")
    async def rewards(self, info: Info[Context, None], partner_id: strawberry.ID | None = None) -> list[Reward]:
        principal = info.context.principal
        async with info.context.services.engine.connect() as connection:
            found = await partner_reads.rewards(
                connection,
                principal.coalition_id,
                partner_id=permissions.programme_partner(principal, partner_id),
                active_only=not permissions.may_see_withdrawn_rewards(principal),
            )
        return [Reward.of(r) for r in found]

    @strawberry.field(description="The charities members can give points to, with their totals.")
    async def charities(self, info: Info[Context, None]) -> list[Charity]:
        principal = info.context.principal
        async with info.context.services.engine.connect() as connection:
            found = await programme_reads.charities(
                connection, principal.coalition_id, active_only=not permissions.may_see_inactive_charities(principal)
            )
        return [Charity.of(c) for c in found]

    @strawberry.field(description="Till: check a coupon before burning it (for this shop only).")
    async def coupon(self, info: Info[Context, None], code: str) -> Coupon | None:
        principal = info.context.principal
        async with info.context.services.engine.connect() as connection:
            found = await partner_reads.coupon_by_code(connection, principal.coalition_id, code)
        if found is None or not permissions.may_check_coupon(principal, found):
            return None
        return Coupon.of(found)

    @strawberry.field(description="Operator: every change to partners, rules and credentials, newest first.")
    async def audit_log(
        self,
        info: Info[Context, None],
        first: int | None = 50,
        after: str | None = None,
        action_prefix: str | None = None,
    ) -> AuditConnection | None:
        principal = info.context.principal
        if not permissions.is_operator(principal):
            return None
        limit = page_size(first)
        cursor = parse_keyset_cursor(after) if after else None
        async with info.context.services.engine.connect() as connection:
            rows = await audit_reads.audit_page(
                connection, principal.coalition_id, after=cursor, limit=limit + 1, action_prefix=action_prefix
            )
        edges = [AuditEntryEdge(node=AuditEntry.of(row), cursor=keyset_cursor(row.at, row.id)) for row in rows[:limit]]
        return AuditConnection.of(edges, more=len(rows) > limit)

    @strawberry.field(description="The programme's terms from the live rules, in the coalition's language by default.")
    async def program_terms(self, info: Info[Context, None], language: str | None = None) -> ProgramTerms:
        coalition = await info.context.coalition()
        rules = await info.context.services.coalition_rules.get(coalition.id)
        async with info.context.services.engine.connect() as connection:
            written = await terms.write(connection, coalition, rules, language or rules.language)
        return ProgramTerms(
            language=written.language,
            title=written.title,
            sections=[TermsSection(title=s.title, lines=list(s.lines)) for s in written.sections],
            url=f"/terms/{coalition.slug}?lang={written.language}",
        )
