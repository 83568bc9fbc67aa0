"""Staff people (the portal's users) and partners' API keys, as the API shows them."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from coalition.graphql.common import MutationError
from coalition.graphql.partners.types import PartnerRole
from coalition.platform.auth.service import PartnerKey
from coalition.platform.staff.service import Listing


@strawberry.enum
class StaffRole(Enum):
    OPERATOR_ADMIN = "OPERATOR_ADMIN"
    OPERATOR_FINANCE = "OPERATOR_FINANCE"
    OWNER = "OWNER"
    MANAGER = "MANAGER"
    CASHIER = "CASHIER"


@strawberry.type
class StaffGrant:
    role: StaffRole
    partner_id: strawberry.ID | None = strawberry.field(description="The shop, for OWNER, MANAGER and CASHIER.")


@strawberry.type
class StaffPerson:
    id: strawberry.ID
    email: str
    name: str
    language: str
    created_at: datetime
    roles: list[StaffGrant]

    @classmethod
    def of(cls, listing: Listing) -> StaffPerson:
        return cls(
            id=strawberry.ID(str(listing.id)), email=listing.email, name=listing.name, language=listing.language,
            created_at=listing.created_at,
            roles=[
                StaffGrant(role=StaffRole(grant.role.value),
                           partner_id=strawberry.ID(str(grant.partner_id)) if grant.partner_id else None)
                for grant in listing.grants
            ],
        )  # fmt: skip


@strawberry.type
class ApiKey:
    id: strawberry.ID
    role: PartnerRole
    label: str | None
    created_at: datetime

    @classmethod
    def of(cls, key: PartnerKey) -> ApiKey:
        return cls(id=strawberry.ID(str(key.id)), role=PartnerRole(key.role.value), label=key.label,
                   created_at=key.created_at)  # fmt: skip


@strawberry.input
class InviteStaffInput:
    email: str
    name: str
    role: StaffRole
    language: str = "en"
    partner_id: strawberry.ID | None = strawberry.field(
        default=None, description="The shop, for OWNER, MANAGER and CASHIER (a shop's owner: their own, implied)."
    )


@strawberry.type
class StaffPayload:
    person: StaffPerson | None = None
    errors: list[MutationError] = strawberry.field(default_factory=list)


@strawberry.type
class RemoveStaffPayload:
    removed: bool = False
    sessions_ended: int = 0
    errors: list[MutationError] = strawberry.field(default_factory=list)
