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
