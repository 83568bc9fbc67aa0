"""Who an aimed campaign reaches: a recency-frequency segment or the lapsed
list, as of the campaign's start. Pure: no I/O."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from zoneinfo import ZoneInfo

from coalition.platform.errors import validation

from .model import Purchase
from .segments import SEGMENTS, lapsed, member_scores

SEGMENT = "SEGMENT"
LAPSED = "LAPSED"


def check_segment(name: str | None) -> str | None:
    """A segment's name as the contract spells it (None passes: no segment asked for)."""
    if name is not None and name not in SEGMENTS:
        raise validation(f"no such segment; one of: {', '.join(SEGMENTS)}", "audience", "segment")
    return name


def audience(
    history: Sequence[Purchase],
    partner_id: uuid.UUID | None,
    as_of: date,
    zone: ZoneInfo,
    kind: str,
    segment: str | None,
) -> list[uuid.UUID]:
    """The members the campaign is aimed at, from purchases before its start
    (at its shop; for a coalition-wide campaign, anywhere), in id order."""
    if kind == SEGMENT:
        return sorted(s.member_id for s in member_scores(history, partner_id, as_of, zone) if s.segment == segment)
    if kind == LAPSED:
        return sorted(row.member_id for row in lapsed(history, partner_id, as_of, zone))
    raise ValueError(f"unknown audience kind {kind}")
