"""What partners' mutations answer."""

from __future__ import annotations

import strawberry

from coalition.graphql.common import MutationError
from coalition.graphql.partners.challenges import Challenge
from coalition.graphql.partners.types import Campaign, Coupon, EarnRules, Partner, Reward, StampCard


@strawberry.type
class PartnerPayload:
    partner: Partner | None = None
    api_key: str | None = strawberry.field(default=None, description="Shown once.")
    errors: list[MutationError] = strawberry.field(default_factory=list)


@strawberry.type
class ApiKeyPayload:
    id: strawberry.ID | None = None
    api_key: str | None = strawberry.field(default=None, description="Shown once.")
    errors: list[MutationError] = strawberry.field(default_factory=list)


@strawberry.type
class RevokePayload:
    revoked: bool = False
    errors: list[MutationError] = strawberry.field(default_factory=list)


@strawberry.type
class PayoutAccountPayload:
    iban: str | None = strawberry.field(default=None, description="As stored: compact, upper case.")
    errors: list[MutationError] = strawberry.field(default_factory=list)


@strawberry.type
class EarnRulesPayload:
    rules: EarnRules | None = None
    errors: list[MutationError] = strawberry.field(default_factory=list)


@strawberry.type
class CampaignPayload:
    campaign: Campaign | None = None
    errors: list[MutationError] = strawberry.field(default_factory=list)


@strawberry.type
class ChallengePayload:
    challenge: Challenge | None = None
    errors: list[MutationError] = strawberry.field(default_factory=list)


@strawberry.type
class StampCardPayload:
    stamp_card: StampCard | None = None
    errors: list[MutationError] = strawberry.field(default_factory=list)


@strawberry.type
class RewardPayload:
    reward: Reward | None = None
    errors: list[MutationError] = strawberry.field(default_factory=list)


@strawberry.type
class CouponPayload:
    coupon: Coupon | None = None
    reward: Reward | None = None
    errors: list[MutationError] = strawberry.field(default_factory=list)
