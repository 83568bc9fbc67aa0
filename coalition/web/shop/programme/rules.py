"""``/portal/shop/programme``: the shop's earn rules (base rate, category
rates, spend thresholds, cap), saved with setEarnRules; and the preview of a
sample basket under the rules as edited, by the till's own engine, before saving."""

from __future__ import annotations

from typing import Any

from litestar import Response, get, post
from litestar.response import Redirect

from coalition.web.documents import PageData
from coalition.web.pages import AnyRequest
from coalition.web.shop.programme.forms import PROGRAMME, REQUIRED, Form, fetch, manager, page
from coalition.web.viewers import StaffViewer

EXTRA_ROWS = 2  # empty rows to add a category rate or a threshold without JavaScript
SAMPLE_LINES = 3


def _values(rules: dict[str, Any] | None) -> dict[str, str]:
    """The form's fields filled from the saved rules."""
    if rules is None:
        return {}
    values = {"baseRate": rules["baseRate"], "maxPointsPerTransaction": str(rules["maxPointsPerTransaction"] or "")}
    for index, rate in enumerate(rules["categoryRates"]):
        values |= {f"categoryRates.{index}.category": rate["category"], f"categoryRates.{index}.rate": rate["rate"]}
    for index, threshold in enumerate(rules["thresholds"]):
        values[f"thresholds.{index}.minSpend"] = threshold["minSpend"]
        values[f"thresholds.{index}.points"] = str(threshold["points"])
    return values


def _rows(values: dict[str, str], prefix: str, first: str) -> int:
    filled = 0
    while f"{prefix}.{filled}.{first}" in values:
        filled += 1
    return filled + EXTRA_ROWS


def _rules_input(form: Form) -> dict[str, Any]:
    """EarnRulesInput from the form; rows left empty are left out."""
    rates, thresholds = [], []
    for index in range(_rows(dict(form.values), "categoryRates", "category")):
        category = form.text(f"categoryRates.{index}.category")
        rate = form.decimal(f"categoryRates.{index}.rate", required=category is not None)
        if category is None and rate is not None:
            form.errors[f"categoryRates.{index}.category"] = REQUIRED
        if category is not None and rate is not None:
            rates.append({"category": category, "rate": rate})
    for index in range(_rows(dict(form.values), "thresholds", "minSpend")):
        spend = form.decimal(f"thresholds.{index}.minSpend")
        points = form.integer(f"thresholds.{index}.points", required=spend is not None)
        if spend is None and points is not None:
            form.errors[f"thresholds.{index}.minSpend"] = REQUIRED
        if spend is not None and points is not None:
            thresholds.append({"minSpend": spend, "points": points})
    return {
        "baseRate": form.decimal("baseRate", required=True) or "0",
        "categoryRates": rates,
        "thresholds": thresholds,
        "maxPointsPerTransaction": form.integer("maxPointsPerTransaction"),
    }


async def _show(
    request: AnyRequest, viewer: StaffViewer, pages: PageData, *, form: Form | None = None,
    preview: dict[str, Any] | None = None, saved: bool = False,
) -> Response[str]:  # fmt: skip
    data = await fetch(request, viewer, pages, "rules")
    values = dict(form.values) if form else _values(data["earnRules"])
    return page(
        request, viewer, "rules.html", data=data, values=values, form=form, preview=preview, saved=saved,
        rate_rows=_rows(values, "categoryRates", "category"), threshold_rows=_rows(values, "thresholds", "minSpend"),
        sample_lines=SAMPLE_LINES,
    )  # fmt: skip


@get(PROGRAMME, include_in_schema=False)
async def rules_page(request: AnyRequest, pages: PageData, saved: bool = False) -> Response[str]:
    viewer = await manager(request)
    return await _show(request, viewer, pages, saved=saved)


@post(f"{PROGRAMME}/rules", include_in_schema=False)
async def save_rules(request: AnyRequest, pages: PageData) -> Response[Any]:
    viewer = await manager(request)
    form = await Form.of(request)
    rules = _rules_input(form)
    if not form.errors:
        answer = (await fetch(request, viewer, pages, "save_rules", {"input": rules}))["setEarnRules"]
        form.refused(answer["errors"], "baseRate")
    if form.errors:
        return await _show(request, viewer, pages, form=form)
    return Redirect(f"{PROGRAMME}?saved=true", status_code=303)


@post(f"{PROGRAMME}/preview", include_in_schema=False)
async def preview_rules(request: AnyRequest, pages: PageData) -> Response[str]:
    """The sample basket earned under the rules as they stand in the form; nothing is saved."""
    viewer = await manager(request)
    form = await Form.of(request)
    rules = _rules_input(form)
    amount = form.decimal("sample.amount", required=True)
    lines = []
    for index in range(SAMPLE_LINES):
        category = form.text(f"sample.{index}.category")
        line_amount = form.decimal(f"sample.{index}.amount", required=category is not None)
        if category is not None and line_amount is not None:
            lines.append({"category": category, "amount": line_amount})
    if form.errors:
        return await _show(request, viewer, pages, form=form)
    variables = {"input": {"rules": rules, "amount": amount, "lines": lines}}
    answer = (await fetch(request, viewer, pages, "preview", variables))["earnPreview"]
    form.refused([_sample_field(error) for error in answer["errors"]], "sample.amount")
    return await _show(request, viewer, pages, form=form, preview=answer["preview"])


def _sample_field(error: dict[str, Any]) -> dict[str, Any]:
    """The preview's refusals of the basket belong to the sample's fields; of the rules, to theirs."""
    where = error.get("field") or []
    if where[:1] == ["amount"]:
        return error | {"field": ["sample", "amount"]}
    if where[:1] == ["lines"]:
        return error | {"field": ["sample", *where[1:]] if len(where) > 1 else ["sample", "amount"]}
    return error
