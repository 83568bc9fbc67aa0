"""Where a shop's members also buy, without telling one shop about another's few customers."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from zoneinfo import ZoneInfo

from .model import CrossShopReport, CrossShopRow, Purchase, ShopListing
from .ranges import DateRange

# No figure about another shop's customers is shown for fewer members than this.
MIN_SHARED_MEMBERS = 10
UNLISTED_KIND = "shop"


def cross_shop(
    purchases: Sequence[Purchase],
    partner_id: uuid.UUID,
    dates: DateRange,
    zone: ZoneInfo,
    listings: Mapping[uuid.UUID, ShopListing],
) -> CrossShopReport:
    """This shop's active members in the range, and one row per other shop they share at least ten with.

    sharedMembers: this shop's active members who also bought at the other
    shop in the range; share = sharedMembers / members; lift = P(both) /
    (P(this) * P(that)) over the coalition's active members N in the range,
    computed as (sharedMembers * N) / (members * thatShopsMembers) with one
    division of integers, so the SQL's ``::float8`` division gives the same
    float. A shop missing from ``listings`` is treated as unnamed, of kind
    "shop". Rows: most shared members first, then highest lift, then label
    (by code point, the SQL's ``COLLATE "C"``), then partner id.
    """
    buyers: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for purchase in purchases:
        if purchase.date_in(zone) in dates:
            buyers[purchase.partner_id].add(purchase.member_id)
    coalition_members = len(set().union(*buyers.values())) if buyers else 0
    ours = buyers.get(partner_id, set())
    ranked = []
    for other, theirs in buyers.items():
        if other == partner_id:
            continue
        shared = len(ours & theirs)
        if shared < MIN_SHARED_MEMBERS:
            continue
        listing = listings.get(other)
        named = listing is not None and listing.agreed_to_be_named
        label = listing.label if listing is not None else UNLISTED_KIND
        row = CrossShopRow(
            partner_id=other if named else None,
            label=label,
            shared_members=shared,
            share=shared / len(ours),
            lift=(shared * coalition_members) / (len(ours) * len(theirs)),
        )
        ranked.append(((-row.shared_members, -row.lift, row.label, other), row))
    ranked.sort(key=lambda item: item[0])
    return CrossShopReport(members=len(ours), rows=tuple(row for _, row in ranked))
