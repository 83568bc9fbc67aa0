"""What a sample basket would earn under rules still being edited: the real
engine, with the shop's live campaigns, cards and the coalition's rules, and
the edited earn rules in place of the saved ones. Nothing is saved."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal

from coalition.partners.earning.checks import check_earn_rules
from coalition.partners.earning.engine import evaluate
from coalition.partners.earning.model import Basket, Earned, EarnRules, Line, MemberState
from coalition.partners.earning.till import TillSetups
from coalition.platform.errors import validation
from coalition.platform.money import parse_purchase_amount

MAX_PREVIEW_LINES = 20


@dataclass(frozen=True)
class SampleLine:
    category: str
    amount: Decimal


async def preview(
    setups: TillSetups, partner_id: uuid.UUID, rules: EarnRules, amount: Decimal, lines: list[SampleLine]
) -> Earned:
    """A new member's earn of ``amount`` (``lines`` part of it, by category)
    at this shop now, as if ``rules`` were saved; refused as saving them would be."""
    till = await setups.get(partner_id)
    setup = replace(till.setup, rules=check_earn_rules(rules, till.setup.coalition.limits))
    parse_purchase_amount(amount, till.currency, "amount")
    if len(lines) > MAX_PREVIEW_LINES:
        raise validation(f"a sample basket has at most {MAX_PREVIEW_LINES} lines", "lines")
    basket_lines = []
    for index, line in enumerate(lines):
        if not 1 <= len(line.category) <= 64:
            raise validation("category must be 1-64 characters", "lines", str(index), "category")
        parse_purchase_amount(line.amount, till.currency, "lines", str(index), "amount")
        basket_lines.append(Line(f"sample-{index + 1}", line.category, 1, line.amount))
    if sum((line.amount for line in lines), Decimal(0)) > amount:
        raise validation("the lines add up to more than the amount", "lines")
    basket = Basket(partner_id=partner_id, amount=amount, currency=till.currency, lines=tuple(basket_lines))
    now = datetime.now(UTC)
    return evaluate(basket, MemberState(), setup, now.astimezone(till.timezone).date(), now)
