"""The GraphQL type of a challenge: visit so many different shops in a period, earn a bonus."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry
from strawberry.types import Info

from coalition.graphql.context import Context
from coalition.graphql.partners.types import ChallengeFunding, ChallengePeriod, Partner, load_partner
from coalition.partners.earning import model as partner_rules


@strawberry.type
class Challenge:
    id: strawberry.ID
    name: str
    distinct_partners: int = strawberry.field(description="How many different shops to visit in the period.")
    period: ChallengePeriod  # type: ignore[valid-type]
    bonus_points: int
    funding: ChallengeFunding  # type: ignore[valid-type]
    starts_at: datetime
    ends_at: datetime
    partner_ids: strawberry.Private[tuple[uuid.UUID, ...]]

    @classmethod
    def of(cls, challenge: partner_rules.Challenge) -> Challenge:
        return cls(
            id=strawberry.ID(str(challenge.id)),
            name=challenge.name,
            distinct_partners=challenge.distinct_partners,
            period=challenge.period,
            bonus_points=challenge.bonus_points,
            funding=challenge.funding,
            starts_at=challenge.starts_at,
            ends_at=challenge.ends_at,
            partner_ids=challenge.partner_ids,
        )

    @strawberry.field(description="The shops that count (and, when SHARED, pay); empty: every partner.")
    async def partners(self, info: Info[Context, None]) -> list[Partner]:
        found = [await load_partner(info, p) for p in self.partner_ids]
        return [p for p in found if p is not None]
