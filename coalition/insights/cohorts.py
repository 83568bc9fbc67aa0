"""Cohorts: members grouped by the month of their first purchase, and who came back in later months."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from zoneinfo import ZoneInfo

from .model import CohortRow, Purchase
from .ranges import DateRange, add_months, at_shop, first_of_month, first_purchase_dates, months_between


def cohort_months(from_month: date, to_month: date) -> DateRange:
    """The first day of ``from_month``'s month to the first day of ``to_month``'s (any day names its month).

    Refused, naming the field, when they run backwards or span more than five years.
    """
    return DateRange.checked(
        first_of_month(from_month), first_of_month(to_month), first_field="fromMonth", last_field="toMonth"
    )


def cohorts(
    history: Sequence[Purchase], partner_id: uuid.UUID | None, months: DateRange, zone: ZoneInfo
) -> tuple[CohortRow, ...]:
    """One row per month from ``months.first`` to ``months.last`` in which the cohort has members.

    A member belongs to the month of their first purchase ever (at this shop;
    with no partner, anywhere), so ``history`` must hold all purchases up to
    the end of ``months.last``'s month. ``retained[k]`` is the share of the
    cohort with at least one purchase in month + k, for every month up to
    ``months.last``; ``retained[0]`` is 1.0 by definition. A month in which no
    one made a first purchase has no row (a share of nobody is not a figure).
    """
    scoped = list(at_shop(history, partner_id))
    cohort_of = {member: first_of_month(day) for member, day in first_purchase_dates(scoped, zone).items()}
    members_by_month: dict[date, set[uuid.UUID]] = defaultdict(set)
    for member, month in cohort_of.items():
        if months.first <= month <= months.last:
            members_by_month[month].add(member)
    active_offsets: dict[uuid.UUID, set[int]] = defaultdict(set)
    for purchase in scoped:
        cohort = cohort_of[purchase.member_id]
        if cohort in members_by_month:
            active_offsets[purchase.member_id].add(months_between(cohort, first_of_month(purchase.date_in(zone))))
    rows = []
    month = months.first
    while month <= months.last:
        members = members_by_month.get(month)
        if members:
            span = months_between(month, months.last)
            returned = [sum(1 for member in members if offset in active_offsets[member]) for offset in range(span + 1)]
            rows.append(CohortRow(month, len(members), tuple(count / len(members) for count in returned)))
        month = add_months(month, 1)
    return tuple(rows)
