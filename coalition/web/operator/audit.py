"""``/portal/operator/audit``: every change to partners, rules, money and
access, newest first, fifty at a time, narrowed to one kind of action."""

from __future__ import annotations

import json
from typing import Any

from litestar import Response, get

from coalition.web.documents import DocumentFailed, PageData
from coalition.web.operator.common import N_, OPERATORS, fetch, operator
from coalition.web.pages import AnyRequest
from coalition.web.portal.layout import portal_page

PATH = "/portal/operator/audit"
KINDS = (
    ("", N_("Every change")),
    ("partner.", N_("Shops")),
    ("settlement.", N_("Settlement")),
    ("staff.", N_("Staff and sign-in")),
    ("member.", N_("Members")),
    ("credential.", N_("API keys")),
    ("campaign.", N_("Campaigns")),
    ("reward.", N_("Rewards")),
    ("charity.", N_("Charities")),
    ("challenge.", N_("Challenges")),
    ("rules.", N_("Coalition rules")),
)


def _shown(value: Any) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


@get(PATH, include_in_schema=False)
async def audit_page(request: AnyRequest, pages: PageData, kind: str = "", after: str | None = None) -> Response[str]:
    viewer = await operator(request, OPERATORS)
    kind = kind if kind in dict(KINDS) else ""
    variables = {"after": after or None, "prefix": kind or None}
    lost = False
    try:
        data = await fetch(request, pages, viewer, "audit", variables)
    except DocumentFailed:
        if after is None:
            raise
        # A cursor from an old or edited address: start again from the newest.
        lost = True
        data = await fetch(request, pages, viewer, "audit", {**variables, "after": None})
    log = data["auditLog"]
    entries = [
        {**edge["node"], "before": _shown(edge["node"]["before"]), "after": _shown(edge["node"]["after"])}
        for edge in log["edges"]
    ]
    return portal_page(
        request, viewer, "operator/audit.html", coalition=data["coalition"], entries=entries,
        page_info=log["pageInfo"], kinds=KINDS, kind=kind, lost=lost, first_page=after is None,
    )  # fmt: skip


ROUTES = [audit_page]
