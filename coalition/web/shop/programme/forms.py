"""What the programme pages share: who may open them, reading their forms
(a value the page cannot read is refused next to its field before the API is
asked), running their documents as the viewer, and the API's refusals placed
next to the fields they name."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from litestar import Response
from litestar.datastructures import State

from coalition.graphql.context import Services
from coalition.platform.staff.rules import StaffRole
from coalition.web.documents import PageData
from coalition.web.pages import AnyRequest
from coalition.web.portal.layout import portal_page
from coalition.web.viewers import StaffViewer, staff_viewer

PROGRAMME = "/portal/shop/programme"
MANAGERS = (StaffRole.OWNER, StaffRole.MANAGER)


def N_(text: str) -> str:  # noqa: N802: gettext's name for "translated where it is shown"
    return text


NOT_A_NUMBER = N_("Enter a number, such as 1.5")
NOT_A_WHOLE_NUMBER = N_("Enter a whole number")
REQUIRED = N_("This is required")
NOT_A_TIME = N_("Enter a date and time")


async def manager(request: AnyRequest) -> StaffViewer:
    """The shop's owner or manager; a cashier or operator is refused (403)."""
    return await staff_viewer(request, MANAGERS)


@dataclass
class Form:
    """A posted form's values, and the errors found reading them, by field name."""

    values: Mapping[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    # The API's own words for a refusal, shown after the translated lead-in.
    reasons: dict[str, str] = field(default_factory=dict)

    @classmethod
    async def of(cls, request: AnyRequest) -> Form:
        posted = await request.form()
        return cls({key: str(value).strip() for key, value in posted.items() if isinstance(value, str)})

    def text(self, name: str, *, required: bool = False) -> str | None:
        value = self.values.get(name, "")
        if not value and required:
            self.errors[name] = REQUIRED
        return value or None

    def decimal(self, name: str, *, required: bool = False) -> str | None:
        """The value as a decimal string the API reads (a comma is a decimal point too)."""
        value = self.text(name, required=required)
        if value is None:
            return None
        try:
            number = Decimal(value.replace(",", "."))
        except InvalidOperation:
            number = Decimal("NaN")
        if not number.is_finite():
            self.errors[name] = NOT_A_NUMBER
            return None
        return str(number)

    def integer(self, name: str, *, required: bool = False) -> int | None:
        value = self.text(name, required=required)
        if value is None:
            return None
        try:
            return int(value)
        except ValueError:
            self.errors[name] = NOT_A_WHOLE_NUMBER
            return None

    def refused(self, errors: list[dict[str, Any]], fallback: str) -> None:
        """The API's errors, each next to the field it names (or ``fallback``)."""
        for error in errors:
            name = ".".join(error.get("field") or []) or fallback
            self.errors[name] = N_("Not accepted")
            self.reasons[name] = error["message"]


async def fetch(
    request: AnyRequest, viewer: StaffViewer, pages: PageData, name: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Document ``shop/programme/<name>`` run with the viewer's rights."""
    state: State = request.app.state
    services: Services = state.services
    return await pages.fetch(services, viewer.principal, f"shop/programme/{name}", variables)


def page(
    request: AnyRequest, viewer: StaffViewer, template: str, *, status_code: int | None = None, **values: Any
) -> Response[str]:
    """``template`` for the viewer: 422 when its form was refused, else ``status_code`` (200)."""
    refused = values.get("form") is not None and values["form"].errors
    status = 422 if refused else status_code or 200
    return portal_page(request, viewer, f"shop/programme/{template}", status_code=status, **values)
