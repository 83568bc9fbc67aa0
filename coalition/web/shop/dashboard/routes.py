"""Every page handler of this area, for ``coalition.web.router``."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

from coalition.web.shop.dashboard.export import export_report

ROUTES: list[ControllerRouterHandler] = [export_report]
