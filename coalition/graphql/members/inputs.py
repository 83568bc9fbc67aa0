"""What members' mutations take."""

from __future__ import annotations

from datetime import date

import strawberry


@strawberry.input
class EnrollMemberInput:
    idempotency_key: str
    card_number: str | None = strawberry.field(default=None, description="Default: generated.")
    email: str | None = None
    phone: str | None = None
    birth_date: date | None = None
    referral_code: str | None = strawberry.field(default=None, description="The referring member's code.")
    invite_code: str | None = strawberry.field(default=None, description="Needed when the coalition is invite-only.")


@strawberry.input
class AdjustPointsInput:
    idempotency_key: str
    member_id: strawberry.ID
    points: int = strawberry.field(description="Added (positive) or taken away (negative); not 0.")
    reason: str = strawberry.field(description="Why, for the audit log: 1-200 characters.")
