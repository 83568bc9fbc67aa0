"""What every shop page handler takes from its request."""

from __future__ import annotations

from coalition.graphql.context import Services
from coalition.platform.staff.rules import StaffRole
from coalition.web.pages import AnyRequest

MANAGERS = (StaffRole.OWNER, StaffRole.MANAGER)


def services(request: AnyRequest) -> Services:
    found: Services = request.app.state.services
    return found
