"""Who is looking at a page: a signed-in staff person (the portal) or a
signed-in member (the wallet), read from their session cookie, with the API
rights their pages' documents run under.

A handler asks for the viewer it needs; without one it raises
``SignInRequired`` (answered with a redirect to that app's sign-in page,
coming back afterwards) or ``NotAllowed`` (a 403 page), both handled by the
router."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from litestar import Request

from coalition.graphql.context import Services
from coalition.platform.auth.service import Principal
from coalition.platform.auth.tokens import CredentialKind
from coalition.platform.members import sessions as member_sessions
from coalition.platform.staff import sessions as staff_sessions
from coalition.platform.staff.rules import StaffRole
from coalition.platform.staff.service import principal_for

AnyRequest = Request[Any, Any, Any]
PORTAL_SIGN_IN = "/portal/sign-in"
WALLET_SIGN_IN = "/wallet/sign-in"


class SignInRequired(Exception):  # noqa: N818: a condition, answered with a redirect
    def __init__(self, sign_in_path: str, back: str) -> None:
        super().__init__(sign_in_path)
        self.sign_in_path = sign_in_path
        self.back = back


class NotAllowed(Exception):  # noqa: N818: a condition, answered with a 403 page
    pass


@dataclass(frozen=True)
class StaffViewer:
    session_id: str
    session: staff_sessions.StaffSession
    principal: Principal

    @property
    def role(self) -> StaffRole:
        return self.session.grant.role

    @property
    def partner_id(self) -> uuid.UUID | None:
        return self.session.grant.partner_id

    @property
    def coalition_id(self) -> uuid.UUID:
        return self.session.coalition_id


@dataclass(frozen=True)
class MemberViewer:
    session_id: str
    session: member_sessions.MemberSession
    principal: Principal

    @property
    def member_id(self) -> uuid.UUID:
        return self.session.member_id

    @property
    def coalition_id(self) -> uuid.UUID:
        return self.session.coalition_id


def _services(request: AnyRequest) -> Services:
    services: Services = request.app.state.services
    return services


def _back(request: AnyRequest) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


async def optional_staff(request: AnyRequest) -> StaffViewer | None:
    session_id = request.cookies.get(staff_sessions.COOKIE_NAME)
    if not session_id:
        return None
    session = await staff_sessions.load_session(_services(request).redis, session_id, datetime.now(UTC))
    if session is None:
        return None
    return StaffViewer(session_id, session, principal_for(session.person_id, session.coalition_id, session.grant))


async def staff_viewer(request: AnyRequest, roles: Iterable[StaffRole] | None = None) -> StaffViewer:
    """The signed-in staff person, holding one of ``roles`` (any role when None)."""
    viewer = await optional_staff(request)
    if viewer is None:
        raise SignInRequired(PORTAL_SIGN_IN, _back(request))
    if roles is not None and viewer.role not in set(roles):
        raise NotAllowed(f"{viewer.role} may not open {request.url.path}")
    return viewer


def member_principal(member_id: uuid.UUID, coalition_id: uuid.UUID) -> Principal:
    """A member's own API rights, as their wallet pages read with them."""
    return Principal(
        credential_id=None, kind=CredentialKind.MEMBER, coalition_id=coalition_id, member_id=member_id, via="web:wallet"
    )


async def optional_member(request: AnyRequest) -> MemberViewer | None:
    session_id = request.cookies.get(member_sessions.COOKIE_NAME)
    if not session_id:
        return None
    session = await member_sessions.load_session(_services(request).redis, session_id, datetime.now(UTC))
    if session is None:
        return None
    return MemberViewer(session_id, session, member_principal(session.member_id, session.coalition_id))


async def member_viewer(request: AnyRequest) -> MemberViewer:
    """The signed-in member."""
    viewer = await optional_member(request)
    if viewer is None:
        raise SignInRequired(WALLET_SIGN_IN, _back(request))
    return viewer
