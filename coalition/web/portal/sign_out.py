"""Signing out: this browser, or every device the person is signed in on
(a lost phone, a shared tablet)."""

from __future__ import annotations

from litestar import post
from litestar.response import Redirect

from coalition.platform.staff import sessions
from coalition.web.pages import AnyRequest
from coalition.web.portal import access
from coalition.web.viewers import PORTAL_SIGN_IN, optional_staff, staff_viewer


def _signed_out() -> Redirect:
    ended = access.ended_cookie(sessions.COOKIE_NAME, sessions.COOKIE_PATH)
    return Redirect(PORTAL_SIGN_IN, status_code=303, cookies=[ended])


@post("/portal/sign-out", include_in_schema=False)
async def sign_out(request: AnyRequest) -> Redirect:
    viewer = await optional_staff(request)
    if viewer is not None:
        await sessions.close(access.services_of(request).redis, viewer.session_id)
    return _signed_out()


@post("/portal/sign-out/everywhere", include_in_schema=False)
async def sign_out_everywhere(request: AnyRequest) -> Redirect:
    viewer = await staff_viewer(request)
    await sessions.close_all_for(access.services_of(request).redis, viewer.session.person_id)
    return _signed_out()
