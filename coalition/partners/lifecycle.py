"""A partner's lifecycle: joining, activation and suspension, the payout
account and API keys."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from coalition.partners.earning.checks import check_earn_rate, check_earn_rules
from coalition.partners.earning.model import EarnRules
from coalition.partners.repositories import programme as repository
from coalition.platform.audit.service import record_change
from coalition.platform.auth import service as auth
from coalition.platform.auth.service import Principal
from coalition.platform.auth.tokens import CredentialKind, PartnerRole
from coalition.platform.coalitions import repository as coalitions
from coalition.platform.coalitions.repository import PartnerRecord
from coalition.platform.coalitions.service import change_partner_status
from coalition.platform.errors import DomainError, ErrorCode, validation
from coalition.platform.ledger.service import check_text
from coalition.platform.programme import service as programme
from coalition.platform.runtime.broadcasts import RULES_CHANGED
from coalition.platform.runtime.database import AsyncSession
from coalition.platform.runtime.unit_of_work import announce_after_commit


def check_iban(iban: str | None) -> str | None:
    if iban is None or not iban.strip():
        return None
    try:
        return str(IBAN(iban).compact)
    except SchwiftyException as exc:
        raise validation(f"IBAN is not valid: {exc}", "iban") from exc


def check_name(name: str) -> str:
    name = name.strip()
    if not 1 <= len(name) <= 120:
        raise validation("name must be 1-120 characters", "name")
    return name


def check_reference(reference: str | None) -> str | None:
    """A shop's reference, as files it sends name it: 1-64 characters, surrounding spaces dropped."""
    if reference is None:
        return None
    reference = reference.strip()
    if not 1 <= len(reference) <= 64:
        raise validation("reference must be 1-64 characters", "reference")
    return reference


async def _check_reference_free(
    session: AsyncSession, coalition_id: uuid.UUID, reference: str | None, partner_id: uuid.UUID | None = None
) -> None:
    if reference is None:
        return
    holder = await coalitions.partner_with_reference(session, coalition_id, reference)
    if holder is not None and holder != partner_id:
        raise DomainError(ErrorCode.CONFLICT, "another partner of the coalition has this reference", ("reference",))


def _partner_snapshot(partner: PartnerRecord) -> dict[str, Any]:
    return {"name": partner.name, "status": partner.status}


async def create_partner(
    session: AsyncSession,
    principal: Principal,
    *,
    name: str,
    earn_rate_per_unit: Decimal,
    iban: str | None,
    reference: str | None = None,
) -> tuple[PartnerRecord, str]:
    """A partner joins as INVITED with its programme and a MANAGER key (shown once)."""
    name = check_name(name)
    reference = check_reference(reference)
    rate = check_earn_rate(earn_rate_per_unit)
    limits = (await programme.current_rules(session, principal.coalition_id)).limits
    try:
        check_earn_rules(EarnRules(rate), limits)
    except DomainError as refused:
        raise validation(refused.message, "earnRatePerUnit") from refused
    compact_iban = check_iban(iban)
    await _check_reference_free(session, principal.coalition_id, reference)
    partner = await coalitions.insert_partner(session, principal.coalition_id, name, reference)
    await repository.insert_programme(session, partner.id, rate, compact_iban)
    _, api_key = await auth.issue(
        session,
        coalition_id=principal.coalition_id,
        kind=CredentialKind.PARTNER,
        partner_id=partner.id,
        role=PartnerRole.MANAGER,
        label="created with the partner",
    )
    await record_change(
        session,
        principal,
        "partner.create",
        partner.id,
        after={
            **_partner_snapshot(partner),
            "earnRatePerUnit": str(rate),
            "iban": compact_iban,
            **({"reference": reference} if reference is not None else {}),
        },
    )
    return partner, api_key


async def set_status(
    session: AsyncSession,
    principal: Principal,
    partner_id: uuid.UUID,
    status: str,
    reason: str | None = None,
) -> PartnerRecord:
    if reason is not None and not reason.strip():
        raise validation("a reason is required", "reason")
    check_text(reason, "reason")
    before, after = await change_partner_status(session, principal.coalition_id, partner_id, status, reason)
    if before != after:
        # What a shop may do follows its status: no process may keep a
        # cached view of its programme from before the change.
        announce_after_commit(session, RULES_CHANGED)
        await record_change(
            session,
            principal,
            f"partner.{status.lower()}",
            partner_id,
            before=_partner_snapshot(before),
            after={**_partner_snapshot(after), "reason": reason},
        )
    return after


async def issue_api_key(
    session: AsyncSession, principal: Principal, partner_id: uuid.UUID, role: PartnerRole, label: str | None
) -> tuple[uuid.UUID, str]:
    found = await coalitions.partner_for_update(session, partner_id, principal.coalition_id)
    if found is None:
        raise DomainError(ErrorCode.NOT_FOUND, "no such partner", ("partnerId",))
    check_text(label, "label")
    credential_id, key = await auth.issue(
        session,
        coalition_id=principal.coalition_id,
        kind=CredentialKind.PARTNER,
        partner_id=partner_id,
        role=role,
        label=label,
    )
    await record_change(
        session,
        principal,
        "partner.api_key.issue",
        credential_id,
        after={"partnerId": str(partner_id), "role": role.value, "label": label},
    )
    return credential_id, key


async def partner_in_coalition(session: AsyncSession, principal: Principal, partner_id: uuid.UUID) -> PartnerRecord:
    found = await coalitions.partner_for_update(session, partner_id, principal.coalition_id)
    if found is None:
        raise DomainError(ErrorCode.NOT_FOUND, "no such partner", ("partnerId",))
    return found


async def set_payout_account(
    session: AsyncSession, principal: Principal, partner_id: uuid.UUID, iban: str | None
) -> str | None:
    """The account the coalition pays the partner into (None: remove it; the
    partner is then listed as not payable in payout files)."""
    await partner_in_coalition(session, principal, partner_id)
    compact = check_iban(iban)
    before = await repository.set_iban(session, partner_id, compact)
    await record_change(session, principal, "partner.payout_account", partner_id,
                        before={"iban": before}, after={"iban": compact})  # fmt: skip
    return compact


async def set_reference(
    session: AsyncSession, principal: Principal, partner_id: uuid.UUID, reference: str | None
) -> PartnerRecord:
    """The shop's reference in import files (None: it has none); unique in the coalition, in any case."""
    reference = check_reference(reference)
    before = await partner_in_coalition(session, principal, partner_id)
    await _check_reference_free(session, principal.coalition_id, reference, partner_id)
    after = await coalitions.set_partner_reference(session, partner_id, reference)
    if before.reference != after.reference:
        await record_change(session, principal, "partner.reference", partner_id,
                            before={"reference": before.reference}, after={"reference": after.reference})  # fmt: skip
    return after
