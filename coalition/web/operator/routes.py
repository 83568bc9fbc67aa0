"""Every page handler of this area, for ``coalition.web.router``."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

from coalition.web.operator import audit, insights, members, partners, rules, settlement

ROUTES: list[ControllerRouterHandler] = [
    *partners.ROUTES,
    *rules.ROUTES,
    *settlement.ROUTES,
    *members.ROUTES,
    *audit.ROUTES,
    *insights.ROUTES,
]
