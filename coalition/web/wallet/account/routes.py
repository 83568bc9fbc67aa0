"""Every page handler of this area, for ``coalition.web.router``."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

from coalition.web.wallet.account import join, passkeys, sign_in

ROUTES: list[ControllerRouterHandler] = [
    sign_in.sign_in_page,
    sign_in.ask_for_code,
    sign_in.ask_for_fresh_code,
    sign_in.enter_code,
    sign_in.link_page,
    sign_in.follow_link,
    sign_in.sign_out,
    join.join_page,
    join.join,
    join.claim_page,
    join.claim,
    passkeys.passkeys_page,
    passkeys.add_options,
    passkeys.add_passkey,
    passkeys.remove_passkey,
    passkeys.sign_in_options,
    passkeys.sign_in_with_passkey,
]
