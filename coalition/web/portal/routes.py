"""Every page handler of this area, for ``coalition.web.router``."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

from coalition.web.portal import dev_mail, invitation, keys, sign_in, sign_out, staff

ROUTES: list[ControllerRouterHandler] = [
    sign_in.sign_in_page,
    sign_in.sign_in_with_password,
    sign_in.code_page,
    sign_in.sign_in_with_code,
    sign_in.role_page,
    sign_in.choose_role,
    sign_in.request_link,
    sign_in.link_page,
    sign_in.sign_in_with_link,
    invitation.invitation_page,
    invitation.accept,
    sign_out.sign_out,
    sign_out.sign_out_everywhere,
    staff.staff_page,
    staff.invite,
    staff.remove,
    keys.keys_page,
    keys.create_key,
    keys.revoke_key,
    dev_mail.dev_mail,
]
