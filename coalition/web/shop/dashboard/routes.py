"""Every page handler of this area, for ``coalition.web.router``."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

from coalition.web.shop.dashboard.export import export_report
from coalition.web.shop.dashboard.page import dashboard_page

ROUTES: list[ControllerRouterHandler] = [dashboard_page, export_report]
