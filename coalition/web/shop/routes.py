"""Every page handler of this area, for ``coalition.web.router``."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

from coalition.web.shop.members import ROUTES as MEMBERS
from coalition.web.shop.statements import ROUTES as STATEMENTS
from coalition.web.shop.till import ROUTES as TILL

ROUTES: list[ControllerRouterHandler] = [*TILL, *MEMBERS, *STATEMENTS]
