"""Settlement use cases: run a day, approve it, mark it paid; the funding
policy and partner contracts. Services never commit: the caller does."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from coalition.platform.audit.service import record_change
from coalition.platform.auth.service import Principal
from coalition.platform.coalitions import repository as coalitions
from coalition.platform.coalitions.repository import CoalitionRecord, PartnerRecord
from coalition.platform.coalitions.service import change_partner_status
from coalition.platform.errors import DomainError, ErrorCode, validation
from coalition.platform.ledger.service import check_text
from coalition.platform.money import exponent
from coalition.platform.notices import service as notices
from coalition.platform.runtime.broadcasts import CREDENTIALS_REVOKED, RULES_CHANGED
from coalition.platform.runtime.database import AsyncSession, Executor
from coalition.platform.runtime.unit_of_work import announce_after_commit
from coalition.settlement import outputs_repository, payouts, repository
from coalition.settlement.repository import RunRecord
from coalition.settlement.rules import ExitModel, FundingModel, settle

PROVISIONAL, COMPUTED, APPROVED, PAID = "PROVISIONAL", "COMPUTED", "APPROVED", "PAID"


def business_today(coalition: CoalitionRecord, now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(ZoneInfo(coalition.timezone)).date()


async def _coalition(session: Executor, coalition_id: uuid.UUID) -> CoalitionRecord:
    coalition = await coalitions.coalition_by_id(session, coalition_id)
    if coalition is None:
        raise DomainError(ErrorCode.NOT_FOUND, "no such coalition")
    return coalition


async def run_day(
    session: AsyncSession, coalition_id: uuid.UUID, day: date, *, now: datetime | None = None
) -> RunRecord:
    """The day's settlement run: computed from the day's postings, one run per
    (coalition, day) however often or concurrently it is asked for. An open
    day's run is PROVISIONAL and recomputed on every call; a closed day's is
    COMPUTED once; an approved run is final and returned as it is."""
    coalition = await _coalition(session, coalition_id)
    today = business_today(coalition, now)
    if day > today:
        raise validation("that business day has not begun", "businessDate")
    status = PROVISIONAL if day == today else COMPUTED
    policy = await repository.policy(session, coalition_id, coalition.point_value)
    run = await repository.claim_run(session, coalition_id, day, policy.model.value, coalition.currency)
    if run.status != PROVISIONAL:
        # Computed after the day closed: postings are never backdated, so the
        # figures cannot change (late corrections land in the next open day).
        return run
    flows = await repository.day_flows(session, coalition_id, day)
    result = settle(flows, policy, exponent(coalition.currency))
    return await repository.store(session, run, status, flows, result, policy.model.value)


async def approve(session: AsyncSession, principal: Principal, day: date) -> RunRecord:
    run = await repository.run_for_update(session, principal.coalition_id, day)
    if run is None:
        raise DomainError(ErrorCode.NOT_FOUND, "no settlement run for that day; run it first", ("businessDate",))
    if run.status in (APPROVED, PAID):
        return run
    if run.status == PROVISIONAL:
        if day >= business_today(await _coalition(session, principal.coalition_id)):
            raise DomainError(
                ErrorCode.CONFLICT, "the day is still open; approve it once it has closed", ("businessDate",)
            )
        run = await run_day(session, principal.coalition_id, day)  # computed while open: settle the closed day
    approved = await repository.set_status(
        session, run.id, status=APPROVED, approved_at=datetime.now(UTC), approved_by=principal.actor
    )
    await record_change(session, principal, "settlement.approve", run.id, before={"status": run.status},
                        after={"status": APPROVED, "businessDate": day.isoformat()})  # fmt: skip
    return approved


async def mark_paid(session: AsyncSession, principal: Principal, day: date) -> RunRecord:
    run = await repository.run_for_update(session, principal.coalition_id, day)
    if run is None:
        raise DomainError(ErrorCode.NOT_FOUND, "no settlement run for that day", ("businessDate",))
    if run.status == PAID:
        return run
    if run.status != APPROVED:
        raise DomainError(ErrorCode.CONFLICT, "only an approved run can be marked paid", ("businessDate",))
    paid = await repository.set_status(session, run.id, status=PAID, paid_at=datetime.now(UTC))
    await record_change(session, principal, "settlement.paid", run.id, before={"status": APPROVED},
                        after={"status": PAID, "businessDate": day.isoformat()})  # fmt: skip
    return paid


@dataclass(frozen=True)
class PolicySpec:
    funding_model: FundingModel
    issuance_price: Decimal = Decimal(0)
    redemption_value: Decimal | None = None
    breakage_percent: Decimal = Decimal(0)
    payer_name: str | None = None
    payer_iban: str | None = None
    payer_bic: str | None = None
    exit_model: ExitModel = ExitModel.BUY_OUT


def _price(value: Decimal | None, field: str) -> None:
    if value is not None and (not value.is_finite() or not Decimal(0) <= value <= Decimal(1000)):
        raise validation("must be between 0 and 1000", field)
    if value is not None and -int(value.as_tuple().exponent) > 6:
        raise validation("has more than 6 decimals", field)


def _percent(value: Decimal, field: str) -> None:
    if not value.is_finite() or not Decimal(0) <= value <= Decimal(100) or -int(value.as_tuple().exponent) > 2:
        raise validation("must be a percentage between 0 and 100 with at most 2 decimals", field)


async def set_policy(session: AsyncSession, principal: Principal, spec: PolicySpec) -> PolicySpec:
    """How the coalition is funded, from the next computed run on (approved runs keep theirs)."""
    _price(spec.issuance_price, "issuancePrice")
    _price(spec.redemption_value, "redemptionValue")
    _percent(spec.breakage_percent, "breakagePercent")
    payer = None
    if bool(spec.payer_iban) != bool(spec.payer_name):
        raise validation("give the paying account's name and IBAN together", "payerIban")
    if spec.payer_iban:
        payer = payouts.check_payer(spec.payer_name, spec.payer_iban, spec.payer_bic)
    values = {
        "funding_model": spec.funding_model.value,
        "issuance_price": spec.issuance_price,
        "redemption_value": spec.redemption_value,
        "breakage_percent": spec.breakage_percent,
        "payer_name": payer.name if payer else None,
        "payer_iban": payer.iban if payer else None,
        "payer_bic": payer.bic if payer else None,
        "exit_model": spec.exit_model.value,
    }
    await repository.save_policy(session, principal.coalition_id, **values)
    await record_change(session, principal, "settlement.policy", principal.coalition_id,
                        after={k: str(v) if v is not None else None for k, v in values.items()})  # fmt: skip
    return spec


async def set_paying_account(
    session: AsyncSession, principal: Principal, name: str, iban: str, bic: str | None
) -> payouts.Payer:
    """The account payouts are made from; the rest of the policy stays as it is.
    Each refusal names the one field at fault (payerName, payerIban, payerBic)."""
    if not name.strip():
        raise validation("the paying account needs the account holder's name", "payerName")
    if not iban.strip():
        raise validation("the paying account needs an IBAN", "payerIban")
    payer = payouts.check_payer(name.strip(), iban, None)
    if bic and bic.strip():
        try:
            payer = payouts.check_payer(name.strip(), iban, bic.strip())
        except DomainError as exc:  # the IBAN passed alone: the BIC is at fault
            raise validation(exc.message, "payerBic") from exc
    before = await outputs_repository.paying_account(session, principal.coalition_id)
    values = {"payer_name": payer.name, "payer_iban": payer.iban, "payer_bic": payer.bic}
    await repository.save_payer(session, principal.coalition_id, **values)
    await record_change(
        session, principal, "settlement.paying_account", principal.coalition_id,
        before={"payer_name": before.name, "payer_iban": before.iban, "payer_bic": before.bic}, after=values,
    )  # fmt: skip
    return payer


async def paying_account(connection: Executor, coalition_id: uuid.UUID) -> outputs_repository.PayingAccount:
    """The account payouts are made from, as set (its fields None while unset)."""
    return await outputs_repository.paying_account(connection, coalition_id)


async def set_contract(
    session: AsyncSession,
    principal: Principal,
    partner_id: uuid.UUID,
    *,
    fee_per_point_issued: Decimal,
    fee_percent_of_redemption: Decimal,
) -> None:
    if await coalitions.partner_for_update(session, partner_id, principal.coalition_id) is None:
        raise DomainError(ErrorCode.NOT_FOUND, "no such partner", ("partnerId",))
    _price(fee_per_point_issued, "feePerPointIssued")
    _percent(fee_percent_of_redemption, "feePercentOfRedemption")
    await repository.save_contract(
        session, partner_id, fee_per_point_issued=fee_per_point_issued,
        fee_percent_of_redemption=fee_percent_of_redemption,
    )  # fmt: skip
    await record_change(session, principal, "partner.contract", partner_id,
                        after={"feePerPointIssued": str(fee_per_point_issued),
                               "feePercentOfRedemption": str(fee_percent_of_redemption)})  # fmt: skip


@dataclass(frozen=True)
class Exit:
    partner: PartnerRecord
    business_date: date  # its outstanding points are settled in this day's run
    model: ExitModel
    members_told: int


async def terminate_partner(
    session: AsyncSession, principal: Principal, partner_id: uuid.UUID, reason: str, *, now: datetime | None = None
) -> Exit:
    """The partner leaves for good: its credentials stop working, the run of
    today settles its outstanding points under the coalition's exit model, and
    every member holding them is told they stay valid at the other partners."""
    reason = reason.strip()
    if not reason:
        raise validation("a reason is required", "reason")
    check_text(reason, "reason")  # the same bound as a suspension's reason
    coalition = await _coalition(session, principal.coalition_id)
    before, after = await change_partner_status(session, principal.coalition_id, partner_id, "TERMINATED", reason)
    existing = await repository.exit_of(session, partner_id)
    if existing is not None:  # terminated before: the same answer again
        return Exit(after, existing.business_date, ExitModel(existing.exit_model), 0)
    policy = await repository.policy(session, principal.coalition_id, coalition.point_value)
    day = business_today(coalition, now)
    await repository.record_exit(session, principal.coalition_id, partner_id, day, policy.exit_model, reason)
    told = await notices.write_partner_left(session, partner_id, after.name)
    # Its keys, and everything cached about what it offers, must go everywhere at once.
    announce_after_commit(session, CREDENTIALS_REVOKED)
    announce_after_commit(session, RULES_CHANGED)
    await record_change(
        session, principal, "partner.terminated", partner_id,
        before={"status": before.status},
        after={"status": after.status, "reason": reason, "exitModel": policy.exit_model.value,
               "settledOn": day.isoformat(), "membersTold": told},
    )  # fmt: skip
    return Exit(after, day, policy.exit_model, told)


async def unbalanced_runs(connection: Executor, coalition_id: uuid.UUID | None) -> list[str]:
    """Ledger invariant 5: every settled day's nets sum to zero."""
    return [
        f"invariant 5 settled day nets to zero: run {run_id} of {day}: nets sum to {total}"
        for run_id, day, total in await repository.nets_by_day(connection, coalition_id)
    ]
