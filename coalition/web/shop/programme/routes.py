"""Every page handler of the shop's programme pages, for ``coalition.web.router``."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

from coalition.web.shop.programme.campaigns import (
    campaign_page,
    campaigns_page,
    create_campaign,
    edit_campaign,
    edit_campaign_page,
    end_campaign,
)
from coalition.web.shop.programme.cards import create_stamp_card, retire_stamp_card, stamp_cards_page
from coalition.web.shop.programme.rewards import create_reward, rewards_page, withdraw_reward
from coalition.web.shop.programme.rules import preview_rules, rules_page, save_rules

ROUTES: list[ControllerRouterHandler] = [
    rules_page,
    save_rules,
    preview_rules,
    campaigns_page,
    create_campaign,
    campaign_page,
    end_campaign,
    edit_campaign_page,
    edit_campaign,
    stamp_cards_page,
    create_stamp_card,
    retire_stamp_card,
    rewards_page,
    create_reward,
    withdraw_reward,
]
