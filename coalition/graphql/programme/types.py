"""GraphQL types of the coalition-wide programme: its rules, tiers,
charities, the audit log and the programme terms."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import cast

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from coalition.graphql.common import MutationError, PageInfo, plain
from coalition.graphql.context import Context
from coalition.graphql.ledger.types import PostingPayload
from coalition.graphql.partners.types import Coupon
from coalition.platform.audit.reads import AuditEntry as AuditRecord
from coalition.platform.programme import rules as coalition_rules
from coalition.platform.programme.reads import CharityRecord
from coalition.platform.programme.standing import TierStanding

TierBasis = strawberry.enum(coalition_rules.TierBasis, name="TierBasis")


BirthdayPeriod = strawberry.enum(coalition_rules.BirthdayPeriod, name="BirthdayPeriod")


EnrolmentMode = strawberry.enum(coalition_rules.EnrolmentMode, name="EnrolmentMode")


@strawberry.type
class Tier:
    code: str
    name: str
    threshold: int = strawberry.field(description="Points (or minor units of spend) over the window.")
    multiplier: Decimal
    benefits: list[str]

    @classmethod
    def of(cls, tier: coalition_rules.Tier) -> Tier:
        return cls(
            code=tier.code,
            name=tier.name,
            threshold=tier.threshold,
            multiplier=plain(tier.multiplier),
            benefits=list(tier.benefits),
        )


@strawberry.type(description="A member's tier and how far they are from the next one.")
class MemberTier:
    code: str | None
    name: str | None
    benefits: list[str]
    progress: Decimal = strawberry.field(description="0 to 1, from this tier's threshold to the next one's.")
    points_to_next: int | None = strawberry.field(
        description="Points still to earn in the window to reach the next tier (null when tiers go by spend)."
    )
    spend_to_next: Decimal | None = strawberry.field(description="When tiers go by spend: money still to spend.")
    next_tier: str | None
    qualifying: int = strawberry.field(description="The member's points (or minor units spent) in the window.")

    @classmethod
    def of(cls, standing: TierStanding) -> MemberTier:
        return cls(
            code=standing.code,
            name=standing.name,
            benefits=list(standing.benefits),
            progress=standing.progress,
            points_to_next=standing.points_to_next,
            spend_to_next=standing.spend_to_next,
            next_tier=standing.next_tier,
            qualifying=standing.qualifying,
        )


@strawberry.type
class Limits:
    min_earn_rate: Decimal
    max_earn_rate: Decimal
    max_points_per_transaction: int | None
    max_points_per_member_per_day: int | None


@strawberry.type
class Bonuses:
    signup: int
    birthday: int
    birthday_period: BirthdayPeriod  # type: ignore[valid-type]
    referrer: int
    referee: int
    referral_min_purchase: Decimal


@strawberry.type
class TierPolicy:
    basis: TierBasis  # type: ignore[valid-type]
    window_days: int
    retention_days: int
    tiers: list[Tier]


@strawberry.type
class Transfers:
    enabled: bool
    max_points_per_transfer: int
    max_points_per_day: int


@strawberry.type
class DonationMatching:
    percent: int
    max_points_per_donation: int | None


@strawberry.type
class CoalitionRules:
    limits: Limits
    bonuses: Bonuses
    tiers: TierPolicy
    enrolment_mode: EnrolmentMode  # type: ignore[valid-type]
    transfers: Transfers
    donation_matching: DonationMatching
    language: str

    @classmethod
    def of(cls, rules: coalition_rules.CoalitionRules) -> CoalitionRules:
        limits, bonuses, policy = rules.limits, rules.bonuses, rules.tiers
        return cls(
            limits=Limits(
                min_earn_rate=plain(limits.min_earn_rate),
                max_earn_rate=plain(limits.max_earn_rate),
                max_points_per_transaction=limits.max_points_per_transaction,
                max_points_per_member_per_day=limits.max_points_per_member_per_day,
            ),
            bonuses=Bonuses(
                signup=bonuses.signup,
                birthday=bonuses.birthday,
                birthday_period=bonuses.birthday_period,
                referrer=bonuses.referrer,
                referee=bonuses.referee,
                referral_min_purchase=bonuses.referral_min_purchase,
            ),
            tiers=TierPolicy(
                basis=policy.basis,
                window_days=policy.window_days,
                retention_days=policy.retention_days,
                tiers=[Tier.of(t) for t in policy.tiers],
            ),
            enrolment_mode=rules.enrolment,
            transfers=Transfers(
                enabled=rules.transfers.enabled,
                max_points_per_transfer=rules.transfers.max_points_per_transfer,
                max_points_per_day=rules.transfers.max_points_per_day,
            ),
            donation_matching=DonationMatching(
                percent=rules.donation_matching.percent,
                max_points_per_donation=rules.donation_matching.max_points_per_donation,
            ),
            language=rules.language,
        )


@strawberry.type
class Charity:
    id: strawberry.ID
    name: str
    description: str | None
    active: bool
    account_id: strawberry.Private[uuid.UUID]

    @classmethod
    def of(cls, record: CharityRecord) -> Charity:
        return cls(
            id=strawberry.ID(str(record.id)),
            name=record.name,
            description=record.description,
            active=record.active,
            account_id=record.account_id,
        )

    @strawberry.field(description="Points received so far, donations and the coalition's matching together.")
    async def total_points(self, info: Info[Context, None]) -> int:
        return await info.context.charity_totals.load(self.account_id) or 0


@strawberry.type
class AuditEntry:
    id: strawberry.ID
    at: datetime
    actor: str = strawberry.field(description="Which credential (or CLI) made the change.")
    action: str
    subject_id: strawberry.ID | None
    before: JSON | None
    after: JSON | None

    @classmethod
    def of(cls, record: AuditRecord) -> AuditEntry:
        return cls(
            id=strawberry.ID(str(record.id)),
            at=record.at,
            actor=record.actor,
            action=record.action,
            subject_id=strawberry.ID(str(record.subject_id)) if record.subject_id else None,
            before=cast(JSON, record.before),
            after=cast(JSON, record.after),
        )


@strawberry.type
class AuditEntryEdge:
    node: AuditEntry
    cursor: str


@strawberry.type
class AuditConnection:
    edges: list[AuditEntryEdge]
    page_info: PageInfo
    has_next_page: bool = strawberry.field(deprecation_reason="Use pageInfo.hasNextPage, as on every connection.")
    end_cursor: str | None = strawberry.field(deprecation_reason="Use pageInfo.endCursor, as on every connection.")

    @classmethod
    def of(cls, edges: list[AuditEntryEdge], *, more: bool) -> AuditConnection:
        page = PageInfo.after([e.cursor for e in edges], more=more)
        return cls(edges=edges, page_info=page, has_next_page=page.has_next_page, end_cursor=page.end_cursor)


@strawberry.type
class TermsSection:
    title: str
    lines: list[str]


@strawberry.type(description="The programme's terms, written from the live configuration.")
class ProgramTerms:
    language: str
    title: str
    sections: list[TermsSection]
    url: str = strawberry.field(description="The same terms as a web page.")


@strawberry.type
class CoalitionRulesPayload:
    rules: CoalitionRules | None = None
    errors: list[MutationError] = strawberry.field(default_factory=list)


@strawberry.type
class CharityPayload:
    charity: Charity | None = None
    errors: list[MutationError] = strawberry.field(default_factory=list)


@strawberry.type
class InvitePayload:
    code: str | None = None
    errors: list[MutationError] = strawberry.field(default_factory=list)


@strawberry.type
class BuyRewardPayload:
    coupon: Coupon | None = None
    posting: PostingPayload | None = None
    errors: list[MutationError] = strawberry.field(default_factory=list)


@strawberry.type(description="What a new member's sample basket would earn now, with the edited rules in place.")
class EarnPreview:
    points: int
    explanation: list[str]


@strawberry.type
class EarnPreviewPayload:
    preview: EarnPreview | None = None
    errors: list[MutationError] = strawberry.field(default_factory=list)
