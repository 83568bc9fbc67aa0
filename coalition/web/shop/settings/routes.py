"""Every page handler of this area, for ``coalition.web.router``."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

from coalition.web.shop.settings.page import save_settings, settings_page

ROUTES: list[ControllerRouterHandler] = [settings_page, save_settings]
