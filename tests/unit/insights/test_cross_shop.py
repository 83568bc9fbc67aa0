"""Cross-shop figures (insights/cross_shop.py): shares, lift, the ten-member floor and naming."""

from __future__ import annotations

import uuid
from datetime import date

from coalition.insights.cross_shop import cross_shop
from coalition.insights.model import Purchase, ShopListing
from coalition.insights.ranges import DateRange
from tests.support.purchases import AMSTERDAM, BAKERY, BUTCHER, FLORIST, GROCER, buy

MARCH = DateRange(date(2025, 3, 1), date(2025, 3, 31))
LISTINGS = {
    BUTCHER: ShopListing(BUTCHER, "Slagerij Jansen", "butcher", agreed_to_be_named=True),
    GROCER: ShopListing(GROCER, "De Groenteman", "grocer", agreed_to_be_named=False),
    FLORIST: ShopListing(FLORIST, "Bloemen Bep", "florist", agreed_to_be_named=True),
}


def in_march(shop: uuid.UUID, *members: int) -> list[Purchase]:
    return [buy(who, shop, "2025-03-10T12:00:00+01:00") for who in members]


HISTORY = [
    *in_march(BAKERY, *range(1, 13)),  # 12 members
    *in_march(BUTCHER, *range(1, 11), *range(20, 30)),  # 20: shares 10 with the bakery
    *in_march(FLORIST, *range(1, 10), 30),  # 10: shares 9 with the bakery
    *in_march(GROCER, *range(1, 12), *range(40, 49)),  # 20: shares 11 with the bakery
    buy(13, BAKERY, "2025-02-28T22:59:00+00:00"),  # 23:59 on 28 February in Amsterdam: not in March
    *(buy(who, FLORIST, "2025-02-28T12:00:00+01:00") for who in (10, 11)),  # February: not counted
]


def test_rows_for_shops_sharing_at_least_ten_members_with_share_and_lift() -> None:
    report = cross_shop(HISTORY, BAKERY, MARCH, AMSTERDAM, LISTINGS)
    assert report.members == 12
    coalition_members = 12 + 10 + 1 + 9  # the bakery's, the butcher's and grocer's others, the florist's 30
    assert [(row.label, row.shared_members) for row in report.rows] == [("grocer", 11), ("Slagerij Jansen", 10)]
    grocer, butcher = report.rows
    assert grocer.share == 11 / 12
    assert grocer.lift == (11 * coalition_members) / (12 * 20)
    assert butcher.share == 10 / 12
    assert butcher.lift == (10 * coalition_members) / (12 * 20)


def test_a_shop_is_named_only_if_it_agreed_and_under_ten_shared_it_is_not_shown_at_all() -> None:
    report = cross_shop(HISTORY, BAKERY, MARCH, AMSTERDAM, LISTINGS)
    grocer, butcher = report.rows
    assert (grocer.partner_id, grocer.label) == (None, "grocer")
    assert (butcher.partner_id, butcher.label) == (BUTCHER, "Slagerij Jansen")
    assert all(row.label not in ("florist", "Bloemen Bep") for row in report.rows)  # 9 shared: hidden


def test_an_unlisted_shop_is_unnamed_and_a_quiet_range_has_no_rows() -> None:
    report = cross_shop(HISTORY, BAKERY, MARCH, AMSTERDAM, {})
    assert [(row.partner_id, row.label) for row in report.rows] == [(None, "shop"), (None, "shop")]
    quiet = cross_shop(HISTORY, BAKERY, DateRange(date(2024, 3, 1), date(2024, 3, 31)), AMSTERDAM, LISTINGS)
    assert (quiet.members, quiet.rows) == (0, ())
    alone = cross_shop(in_march(BAKERY, *range(1, 13)), BAKERY, MARCH, AMSTERDAM, LISTINGS)
    assert (alone.members, alone.rows) == (12, ())
