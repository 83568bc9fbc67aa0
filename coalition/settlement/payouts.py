"""Payout periods: approved days summed per partner, and the SEPA credit
transfer file (pain.001.001.03) for the partners the coalition pays."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from sepaxml import SepaTransfer

from coalition.platform.errors import DomainError, ErrorCode, validation
from coalition.platform.runtime.database import Executor
from coalition.settlement import outputs_repository


@dataclass(frozen=True)
class PayoutLine:
    partner_id: uuid.UUID
    name: str
    net_minor: int  # positive: the coalition pays the partner
    iban: str | None
    problem: str | None  # why it cannot be paid by transfer, if it cannot


@dataclass(frozen=True)
class Payout:
    start: date
    end: date
    approved_days: tuple[date, ...]
    unapproved_days: tuple[date, ...]  # settled but not approved: not included
    lines: tuple[PayoutLine, ...]

    @property
    def payable(self) -> tuple[PayoutLine, ...]:
        return tuple(line for line in self.lines if line.net_minor > 0 and line.problem is None)


def _iban(raw: str | None) -> tuple[str | None, str | None]:
    if not raw:
        return None, "no IBAN on file"
    try:
        return str(IBAN(raw).compact), None
    except SchwiftyException as exc:
        return None, f"IBAN not valid: {exc}"


async def payout(connection: Executor, coalition_id: uuid.UUID, start: date, end: date) -> Payout:
    """What each partner is owed (or owes) over the approved days of a period."""
    if end < start or (end - start).days > 366:
        raise validation("a payout period runs forward, at most a year", "period")
    runs = await outputs_repository.run_statuses(connection, coalition_id, start, end)
    lines = []
    for net in await outputs_repository.approved_nets(connection, coalition_id, start, end):
        iban, problem = _iban(net.iban)
        lines.append(PayoutLine(net.partner_id, net.name, net.net_minor, iban, problem if net.net_minor > 0 else None))
    return Payout(
        start,
        end,
        tuple(day for day, status in runs if status in ("APPROVED", "PAID")),
        tuple(day for day, status in runs if status not in ("APPROVED", "PAID")),
        tuple(lines),
    )


@dataclass(frozen=True)
class Payer:
    name: str
    iban: str
    bic: str | None


def check_payer(name: str | None, iban: str | None, bic: str | None) -> Payer:
    if not name or not iban:
        raise DomainError(
            ErrorCode.CONFLICT, "set the coalition's paying account (name and IBAN) in the settlement policy first"
        )
    try:
        compact = str(IBAN(iban).compact)
        checked_bic = str(BIC(bic)) if bic else None
    except SchwiftyException as exc:
        raise validation(f"the paying account is not valid: {exc}", "payerIban") from exc
    return Payer(name, compact, checked_bic)


def pain001(payout: Payout, payer: Payer, currency: str, execution: date) -> bytes:
    """The credit transfers, validated against the pain.001.001.03 schema."""
    if currency != "EUR":
        raise DomainError(ErrorCode.CONFLICT, "SEPA credit transfers are in EUR only")
    if not payout.payable:
        raise DomainError(ErrorCode.CONFLICT, "nobody is owed money in this period")
    config = {"name": payer.name[:70], "IBAN": payer.iban, "batch": True, "currency": "EUR"}
    if payer.bic:
        config["BIC"] = payer.bic
    transfer = SepaTransfer(config, clean=True)
    for line in payout.payable:
        assert line.iban is not None
        transfer.add_payment(
            {
                "name": line.name[:70],
                "IBAN": line.iban,
                "amount": line.net_minor,
                "execution_date": execution,
                "description": f"Settlement {payout.start.isoformat()}..{payout.end.isoformat()}"[:140],
                "endtoend_id": str(line.partner_id).replace("-", "")[:35],
            }
        )
    out: bytes = transfer.export(validate=True)
    return out
