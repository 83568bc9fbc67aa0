"""What the personal-data mutations take."""

from __future__ import annotations

from datetime import date

import strawberry


@strawberry.input
class UpdateProfileInput:
    member_id: strawberry.ID | None = strawberry.field(default=None, description="The operator's support names one.")
    email: str | None = strawberry.field(default=strawberry.UNSET, description="Left out: unchanged; null: removed.")
    phone: str | None = strawberry.field(default=strawberry.UNSET, description="International form, e.g. +31612345678.")
    birth_date: date | None = strawberry.UNSET
    language: str | None = strawberry.field(
        default=strawberry.UNSET, description="en, nl, fr, pl or nb; null: the coalition's."
    )
    marketing_consent: bool | None = strawberry.UNSET


@strawberry.input
class ErasePersonalDataInput:
    member_id: strawberry.ID | None = strawberry.field(default=None, description="The operator's support names one.")
    confirm: bool = strawberry.field(description="Must be true: erasure cannot be undone.")
