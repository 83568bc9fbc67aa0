"""Every page handler of this area, for ``coalition.web.router``."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

from coalition.web.wallet.me.page import (
    confirm_email,
    delete_account,
    delete_page,
    deleted_page,
    download_my_data,
    me_page,
    save_profile,
)

ROUTES: list[ControllerRouterHandler] = [
    me_page,
    save_profile,
    confirm_email,
    download_my_data,
    delete_page,
    delete_account,
    deleted_page,
]
