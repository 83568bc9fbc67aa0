"""What the dashboard shows, worked out from its document's answer: the
trend line's points, the heatmap's shades, the texts' numbers. No I/O."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from babel.numbers import format_decimal, format_percent

CHART_WIDTH, CHART_HEIGHT = 600, 120


def N_(text: str) -> str:  # noqa: N802: gettext's name for "translated where it is shown"
    return text


SEGMENT_NAMES = {
    "Champions": N_("Champions"),
    "Loyal": N_("Loyal"),
    "Potential loyalists": N_("Potential loyalists"),
    "New": N_("New"),
    "Promising": N_("Promising"),
    "Need attention": N_("Need attention"),
    "About to sleep": N_("About to sleep"),
    "At risk": N_("At risk"),
    "Can't lose": N_("Can't lose"),
    "Hibernating": N_("Hibernating"),
}


def trend_points(series: list[dict[str, Any]]) -> str:
    """The SVG polyline of revenue per day, scaled to the chart (the highest day at the top)."""
    return polyline([Decimal(point["revenue"]["amount"]) for point in series])


def points_lines(series: list[dict[str, Any]]) -> tuple[str, str]:
    """Points issued and points redeemed per day as two polylines on one scale, so their heights compare."""
    issued = [Decimal(point["pointsIssued"]) for point in series]
    redeemed = [Decimal(point["pointsRedeemed"]) for point in series]
    top = max([*issued, *redeemed], default=Decimal(0))
    return polyline(issued, top), polyline(redeemed, top)


def polyline(values: list[Decimal], top: Decimal | None = None) -> str:
    """``values`` as an SVG polyline's points across the chart, ``top`` (else the highest) at the top."""
    if not values:
        return ""
    highest = (top if top is not None else max(values)) or Decimal(1)
    step = CHART_WIDTH / max(len(values) - 1, 1)
    return " ".join(
        f"{index * step:.1f},{CHART_HEIGHT - float(value / highest) * (CHART_HEIGHT - 4) - 2:.1f}"
        for index, value in enumerate(values)
    )


def percent(share: float | None, language: str) -> str:
    return "–" if share is None else format_percent(share, locale=language)


def times(lift: float, language: str) -> str:
    return format_decimal(round(lift, 1), format="#,##0.0", locale=language)


def shade(share: float) -> int:
    """The heatmap cell's shade, 0-100 (a CSS class step of 10)."""
    return min(100, max(0, round(share * 10) * 10))


def change(now: int, before: int) -> float | None:
    return None if before == 0 else (now - before) / before
