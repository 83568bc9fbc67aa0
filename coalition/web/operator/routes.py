"""Every page handler of this area, for ``coalition.web.router``."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

from coalition.web.operator import audit, partners, rules, settlement

ROUTES: list[ControllerRouterHandler] = [*partners.ROUTES, *settlement.ROUTES, *audit.ROUTES, *rules.ROUTES]
