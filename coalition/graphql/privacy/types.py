"""GraphQL types of a member's personal data: the profile, what export,
erasure and profile changes answer."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum

import strawberry
from strawberry.scalars import JSON

from coalition.graphql.common import MutationError
from coalition.platform.members.privacy import Profile


@strawberry.type(
    description="What a member told us about themselves and chose: theirs and the operator's support's to see."
)
class MemberProfile:
    email: str | None
    phone: str | None
    birth_date: date | None
    language: str | None = strawberry.field(description="The language they read in; null: the coalition's.")
    marketing_consent: bool = strawberry.field(description="Whether the coalition may send them offers.")
    marketing_consent_at: datetime | None = strawberry.field(description="When consent was last given or withdrawn.")

    @classmethod
    def of(cls, profile: Profile) -> MemberProfile:
        member, preferences = profile.member, profile.preferences
        return cls(
            email=member.email,
            phone=member.phone,
            birth_date=member.birth_date,
            language=preferences.language,
            marketing_consent=preferences.marketing_consent,
            marketing_consent_at=preferences.marketing_consent_at,
        )


@strawberry.type
class UpdateProfilePayload:
    profile: MemberProfile | None = None
    errors: list[MutationError] = strawberry.field(default_factory=list)


@strawberry.enum(description="Why a mailed code was not taken.")
class CodeRefusal(Enum):
    WRONG = "wrong"
    SPENT = strawberry.enum_value("spent", description="Expired, used, replaced by a newer one, or never sent.")
    EXHAUSTED = strawberry.enum_value("exhausted", description="Five wrong codes: ask for a new one.")


@strawberry.type
class RequestEmailChangePayload:
    sent_to: str | None = strawberry.field(default=None, description="The new address the code was mailed to.")
    errors: list[MutationError] = strawberry.field(default_factory=list)


@strawberry.type
class ConfirmEmailChangePayload:
    profile: MemberProfile | None = None
    refusal: CodeRefusal | None = strawberry.field(default=None, description="Set when the code was not taken.")
    errors: list[MutationError] = strawberry.field(default_factory=list)


@strawberry.type
class ExportPersonalDataPayload:
    data: JSON | None = strawberry.field(default=None, description="Everything held about the member, as JSON.")
    errors: list[MutationError] = strawberry.field(default_factory=list)


@strawberry.type
class ErasePersonalDataPayload:
    erased: bool = False
    points_left: int | None = strawberry.field(
        default=None, description="Points that stay in the ledger, no longer spendable: they expire as any do."
    )
    errors: list[MutationError] = strawberry.field(default_factory=list)


@strawberry.type
class RetentionPayload:
    months: int | None = None
    errors: list[MutationError] = strawberry.field(default_factory=list)
