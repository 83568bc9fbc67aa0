"""Every page handler of this area, for ``coalition.web.router``."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

from coalition.web.wallet.offline import manifest, service_worker
from coalition.web.wallet.programme.card import card_page
from coalition.web.wallet.programme.give import donate, give_page, transfer
from coalition.web.wallet.programme.notices import notices_page
from coalition.web.wallet.programme.points import points_page
from coalition.web.wallet.programme.progress import progress_page
from coalition.web.wallet.programme.rewards import buy_reward, coupon_page, rewards_page
from coalition.web.wallet.programme.shops import shops_page

ROUTES: list[ControllerRouterHandler] = [
    card_page,
    points_page,
    progress_page,
    rewards_page,
    buy_reward,
    coupon_page,
    shops_page,
    give_page,
    donate,
    transfer,
    notices_page,
    # The app's shell (domain "wallet"): served here as the wallet has no route list of its own.
    manifest,
    service_worker,
]
