"""What the operator's pages share: who may open them, running their
documents as the viewer, reading their forms, and turning the API's refusals
into messages next to the fields."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from litestar.response import Redirect

from coalition.graphql.context import Services
from coalition.platform.staff.rules import StaffRole
from coalition.web.documents import PageData
from coalition.web.pages import AnyRequest
from coalition.web.viewers import StaffViewer, staff_viewer


def N_(text: str) -> str:
    return text


ADMIN = frozenset({StaffRole.OPERATOR_ADMIN})
OPERATORS = frozenset({StaffRole.OPERATOR_ADMIN, StaffRole.OPERATOR_FINANCE})
FORM = "form"  # where a refusal that names no field is shown: above the form
_PLAIN_DECIMAL = re.compile(r"^-?[0-9]{1,12}([.,][0-9]{1,6})?$")
_REFUSED = N_("This was refused. Check the values and try again.")
BY_CODE = {
    "NOT_FOUND": N_("Not found: it may have been removed or never existed."),
    "FORBIDDEN": N_("Your role may not do this."),
    "CONFLICT": N_("This is not possible in its present state."),
    "INSUFFICIENT_POINTS": N_("The member does not have that many points."),
    "IDEMPOTENCY_CONFLICT": N_("This form was already sent with other values; open the page again."),
}


class FormErrors(dict[str, str]):
    """Field name -> the (untranslated) message shown next to it."""

    def add(self, name: str, message: str) -> None:
        self.setdefault(name, message)

    def __missing__(self, name: str) -> Any:  # a template asks for every field's error: most have none
        return None


class FormValues(dict[str, str]):
    """A posted form's fields, shown again when it is refused; a missing one is empty."""

    def __missing__(self, name: str) -> str:
        return ""


async def operator(request: AnyRequest, roles: frozenset[StaffRole] = ADMIN) -> StaffViewer:
    return await staff_viewer(request, roles)


def services_of(request: AnyRequest) -> Services:
    services: Services = request.app.state.services
    return services


async def fetch(
    request: AnyRequest, pages: PageData, viewer: StaffViewer, name: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Document ``operator/<name>`` run with the viewer's rights."""
    return await pages.fetch(services_of(request), viewer.principal, f"operator/{name}", variables)


async def form_of(request: AnyRequest) -> FormValues:
    """The posted form's fields as trimmed text (the token left out)."""
    form = await request.form()
    return FormValues({key: str(value).strip() for key, value in form.items() if key != "_csrf_token"})


def refusals(errors: list[dict[str, Any]], messages: Mapping[str, str]) -> FormErrors:
    """The API's refusals as messages: by the field they name (``messages``
    maps the API's field names to this form's message and field), else by code."""
    found = FormErrors()
    for error in errors:
        named = [f for f in error.get("field") or [] if f in messages]
        if named:
            found.add(named[-1], messages[named[-1]])
        else:
            found.add(FORM, BY_CODE.get(error["code"], _REFUSED))
    return found


def decimal_in(form: Mapping[str, str], name: str, errors: FormErrors, message: str) -> str | None:
    """A plain decimal typed in ``name`` ("1,5" read as "1.5"), as the API takes it."""
    value = form.get(name, "")
    if not _PLAIN_DECIMAL.match(value):
        errors.add(name, message)
        return None
    try:
        return str(Decimal(value.replace(",", ".")))
    except InvalidOperation:  # pragma: no cover: the pattern admits only numbers
        errors.add(name, message)
        return None


def integer_in(
    form: Mapping[str, str], name: str, errors: FormErrors, message: str, *, low: int = 0, high: int = 10**9,
    optional: bool = False,
) -> int | None:  # fmt: skip
    value = form.get(name, "")
    if optional and value == "":
        return None
    if not re.fullmatch(r"-?[0-9]{1,10}", value) or not low <= int(value) <= high:
        errors.add(name, message)
        return None
    return int(value)


def date_in(form: Mapping[str, str], name: str, errors: FormErrors, message: str) -> date | None:
    try:
        return date.fromisoformat(form.get(name, ""))
    except ValueError:
        errors.add(name, message)
        return None


def back_to(path: str, **query: str) -> Redirect:
    """After a change: the page again (a reload does not post twice), saying what was done."""
    return Redirect(path + (f"?{urlencode(query)}" if query else ""), status_code=303)
