"""Every insights report as CSV: what its GraphQL document answered, as a
table a spreadsheet opens (a header row; money in major units; shares and
rates as plain decimals). No I/O: the route fetches, this writes."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

Rows = Iterable[list[object]]


def _amount(money: dict[str, Any] | None) -> object:
    return "" if money is None else money["amount"]


def _blank(value: object) -> object:
    return "" if value is None else value


def kpi_rows(data: dict[str, Any]) -> Rows:
    report = data["kpis"]
    period, previous = report["period"], report["previous"]
    yield ["figure", "period", "previous"]
    yield ["from", period["from"], previous["from"]]
    yield ["to", period["to"], previous["to"]]
    for name in ("activeMembers", "newMembers", "purchases"):
        yield [name, period[name], previous[name]]
    for name in ("revenue", "averageOrderValue"):
        yield [name, _amount(period[name]), _amount(previous[name])]
    for name in ("purchaseFrequency", "repeatRate", "pointsIssued", "pointsRedeemed", "pointsExpired",
                 "redemptionRate", "outstandingPoints"):  # fmt: skip
        yield [name, _blank(period[name]), _blank(previous[name])]
    yield ["outstandingLiability", _amount(period["outstandingLiability"]), _amount(previous["outstandingLiability"])]


def series_rows(data: dict[str, Any]) -> Rows:
    yield ["start", "activeMembers", "purchases", "revenue", "pointsIssued", "pointsRedeemed"]
    for point in data["kpiSeries"]:
        yield [point["start"], point["activeMembers"], point["purchases"], _amount(point["revenue"]),
               point["pointsIssued"], point["pointsRedeemed"]]  # fmt: skip


def cohort_rows(data: dict[str, Any]) -> Rows:
    rows = data["cohorts"]["rows"]
    longest = max((len(row["retained"]) for row in rows), default=0)
    yield ["month", "size", *(f"month+{k}" for k in range(longest))]
    for row in rows:
        yield [row["month"], row["size"], *row["retained"]]


def segment_rows(data: dict[str, Any]) -> Rows:
    yield ["segment", "members", "revenueShare"]
    for count in data["segments"]:
        yield [count["segment"], count["members"], count["revenueShare"]]


def lapsed_rows(data: dict[str, Any]) -> Rows:
    yield ["card", "purchases", "lastPurchase", "medianGapDays", "daysSinceLast"]
    for row in data["lapsedMembers"]:
        card = row["member"]["cardNumber"] if row["member"] else ""
        yield [card, row["purchases"], row["lastPurchase"], row["medianGapDays"], row["daysSinceLast"]]


def cross_shop_rows(data: dict[str, Any]) -> Rows:
    report = data["crossShop"]
    yield ["shop", "sharedMembers", "share", "lift", "members"]
    for row in report["rows"]:
        yield [row["label"], row["sharedMembers"], row["share"], row["lift"], report["members"]]


def basket_rule_rows(data: dict[str, Any]) -> Rows:
    yield ["antecedent", "consequent", "receipts", "support", "confidence", "lift"]
    for rule in data["basketRules"]:
        yield [rule["antecedent"], rule["consequent"], rule["receipts"], rule["support"], rule["confidence"],
               rule["lift"]]  # fmt: skip


def before_after_rows(data: dict[str, Any]) -> Rows:
    report = data["beforeAfter"]
    yield ["figure", "before", "after"]
    yield ["members", report["members"], report["members"]]
    yield ["windowDays", report["windowDays"], report["windowDays"]]
    yield ["spend", _amount(report["before"]["spend"]), _amount(report["after"]["spend"])]
    yield ["visits", report["before"]["visits"], report["after"]["visits"]]
    yield ["spendPerMember", _amount(report["before"]["spendPerMember"]), _amount(report["after"]["spendPerMember"])]
    yield ["visitsPerMember", _blank(report["before"]["visitsPerMember"]),
           _blank(report["after"]["visitsPerMember"])]  # fmt: skip
    yield ["extraSpend", "", _amount(report["extraSpend"])]
    yield ["redeemedPoints", "", report["redeemedPoints"]]
    yield ["cost", "", _amount(report["cost"])]
    yield ["roi", "", _blank(report["roi"])]


@dataclass(frozen=True)
class Report:
    document: str
    rows: Callable[[dict[str, Any]], Rows]
    # The query's arguments this report takes from the download link (beyond partnerId).
    arguments: tuple[str, ...]
    shop_only: bool = False


REPORTS: dict[str, Report] = {
    "kpis": Report("shop/dashboard/export_kpis", kpi_rows, ("from", "to")),
    "series": Report("shop/dashboard/export_series", series_rows, ("from", "to", "grain")),
    "cohorts": Report("shop/dashboard/export_cohorts", cohort_rows, ("fromMonth", "toMonth")),
    "segments": Report("shop/dashboard/export_segments", segment_rows, ("asOf",)),
    "lapsed": Report("shop/dashboard/export_lapsed", lapsed_rows, ("asOf", "first")),
    "cross-shop": Report("shop/dashboard/export_cross_shop", cross_shop_rows, ("from", "to"), shop_only=True),
    "basket-rules": Report(
        "shop/dashboard/export_basket_rules", basket_rule_rows, ("from", "to", "minSupport", "first")
    ),
    "before-after": Report(
        "shop/dashboard/export_before_after", before_after_rows, ("asOf", "windowDays"), shop_only=True
    ),
}


def to_csv(rows: Rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow(row)
    return out.getvalue()
