"""Who may do what, and see which record: every authorisation check of the
API is here. A denied read answers like a missing record (or leaves the
record out of a list); a denied write is a FORBIDDEN payload error.

A credential never sees outside its coalition. Within it, the operator sees
and manages everything; a partner key sees its own shop's side of things (a
MANAGER key also manages its shop); a member sees their own wallet."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar

from coalition.graphql.common import MutationError, parse_id
from coalition.graphql.context import Context
from coalition.partners.reads import CouponRecord, StampCardRecord
from coalition.platform.auth.service import Principal
from coalition.platform.auth.tokens import CredentialKind, PartnerRole
from coalition.platform.coalitions.reads import PartnerRecord
from coalition.platform.errors import DomainError, ErrorCode, validation
from coalition.platform.ledger.reads import TransactionRecord
from coalition.platform.members.reads import MemberRecord

P = ParamSpec("P")
R = TypeVar("R")


# ---------- who may write ----------


def forbidden(what: str) -> DomainError:
    return DomainError(ErrorCode.FORBIDDEN, f"this credential may not {what}")


def require_operator(context: Context, what: str) -> Principal:
    """The operator with every right: an operator key, or operator admin staff."""
    if context.principal.kind != CredentialKind.OPERATOR or context.principal.finance_only:
        raise forbidden(what)
    return context.principal


def require_finance(context: Context, what: str) -> Principal:
    """Settling, approving and paying days: the operator, operator finance staff included."""
    if context.principal.kind != CredentialKind.OPERATOR:
        raise forbidden(what)
    return context.principal


def require_partner(context: Context, what: str, role: PartnerRole | None = None) -> Principal:
    principal = context.principal
    if principal.kind != CredentialKind.PARTNER:
        raise forbidden(what)
    if role is PartnerRole.MANAGER and principal.role != PartnerRole.MANAGER:
        raise forbidden(what)
    return principal


def require_member(context: Context, what: str) -> Principal:
    if context.principal.kind != CredentialKind.MEMBER or context.principal.member_id is None:
        raise forbidden(what)
    return context.principal


def require_partner_or_operator(context: Context, what: str) -> Principal:
    if context.principal.kind == CredentialKind.MEMBER:
        raise forbidden(what)
    return context.principal


def require_manager_or_operator(context: Context, what: str) -> Principal:
    """A MANAGER key or the operator; which records each may touch is the service's check."""
    if context.principal.kind == CredentialKind.PARTNER:
        return require_partner(context, what, PartnerRole.MANAGER)
    return require_operator(context, what)


def managed_partner(context: Context, what: str, partner_id: str | None) -> uuid.UUID:
    """The partner a MANAGER key manages (its own) or the one the operator names."""
    principal = context.principal
    if principal.kind == CredentialKind.PARTNER:
        require_partner(context, what, PartnerRole.MANAGER)
        assert principal.partner_id is not None
        if partner_id is not None and parse_id(partner_id, "partnerId") != principal.partner_id:
            raise DomainError(ErrorCode.NOT_FOUND, "no such partner", ("partnerId",))
        return principal.partner_id
    require_operator(context, what)
    if partner_id is None:
        raise validation("partnerId is required", "partnerId")
    return parse_id(partner_id, "partnerId")


def staff_list_scope(context: Context, partner_id: str | None) -> uuid.UUID | None:
    """Whose staff a caller may list: the operator anyone's (None: everyone),
    a MANAGER key only its own shop's; others no one's."""
    if context.principal.kind == CredentialKind.OPERATOR:
        return parse_id(partner_id, "partnerId") if partner_id else None
    return managed_partner(context, "list staff", partner_id)


def revocation_scope(context: Context) -> uuid.UUID | None:
    """Which credentials a caller may revoke: the operator any of the
    coalition's (None), a MANAGER key its own shop's keys."""
    principal = require_manager_or_operator(context, "revoke credentials")
    return principal.partner_id if principal.kind == CredentialKind.PARTNER else None


def campaign_owner(context: Context, partner_id: str | None) -> uuid.UUID | None:
    """Whose campaign a new one is: the managed partner's, or the coalition's
    own (None) when the operator names no partner."""
    if context.principal.kind == CredentialKind.OPERATOR and partner_id is None:
        return None
    return managed_partner(context, "run campaigns", partner_id)


def refusals_as(
    payload: Callable[..., Any],
) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Awaitable[R]]]:
    """Turn a DomainError raised by a mutation into ``payload(errors=[...])``."""

    def decorate(resolver: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        @functools.wraps(resolver)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return await resolver(*args, **kwargs)
            except DomainError as error:
                result: R = payload(errors=[MutationError.of(error)])
                return result

        return wrapper

    return decorate


# ---------- who may see which record ----------


def is_operator(principal: Principal) -> bool:
    """Operator-only reads: the audit log, payouts, the settlement matrix."""
    return principal.kind == CredentialKind.OPERATOR


def shop_view(principal: Principal) -> uuid.UUID | None:
    """The partner whose side of shared records a partner key sees (its
    postings, its settlement lines, its coupons); None: no such narrowing."""
    return principal.partner_id if principal.kind == CredentialKind.PARTNER else None


def may_see_partner(principal: Principal, record: PartnerRecord) -> bool:
    return record.coalition_id == principal.coalition_id


def may_see_member(principal: Principal, record: MemberRecord) -> bool:
    if record.coalition_id != principal.coalition_id:
        return False
    return principal.kind != CredentialKind.MEMBER or record.id == principal.member_id


def may_see_transaction(principal: Principal, record: TransactionRecord) -> bool:
    if record.coalition_id != principal.coalition_id:
        return False
    if principal.kind == CredentialKind.PARTNER:
        return record.partner_id == principal.partner_id
    if principal.kind == CredentialKind.MEMBER:
        return record.member_id == principal.member_id
    return True


def may_see_outstanding_points(principal: Principal, partner_id: uuid.UUID) -> bool:
    """A partner's liability: the operator's and the partner's own business."""
    if principal.kind == CredentialKind.MEMBER:
        return False
    return principal.kind != CredentialKind.PARTNER or principal.partner_id == partner_id


def may_find_member_by_contact(principal: Principal) -> bool:
    """Looking a member up by e-mail or phone: the operator, and a shop's
    MANAGER (narrowed by ``shop_view`` to members it enrolled or served);
    not tills, not members."""
    if principal.kind == CredentialKind.OPERATOR:
        return True
    return principal.kind == CredentialKind.PARTNER and principal.role == PartnerRole.MANAGER


def may_see_payout_account(principal: Principal, partner_id: uuid.UUID) -> bool:
    """The IBAN a shop is paid into: the operator, and the shop's MANAGER."""
    if principal.kind == CredentialKind.OPERATOR:
        return True
    return (
        principal.kind == CredentialKind.PARTNER
        and principal.role == PartnerRole.MANAGER
        and principal.partner_id == partner_id
    )


def may_see_member_privately(principal: Principal) -> bool:
    """A member's referral code and notices: the member and the operator, not the shops."""
    return principal.kind != CredentialKind.PARTNER


def may_see_challenge_progress(principal: Principal) -> bool:
    """Where a member stands in the challenges: the member and the operator, not the shops."""
    return principal.kind != CredentialKind.PARTNER


def may_see_stamp_progress(principal: Principal, card: StampCardRecord, *, has_stamps: bool) -> bool:
    """A member sees every card of the coalition (empty ones too); a shop its own cards."""
    if principal.kind == CredentialKind.PARTNER and card.partner_id != principal.partner_id:
        return False
    return has_stamps or principal.kind == CredentialKind.MEMBER


def may_see_coupon(principal: Principal, coupon: CouponRecord) -> bool:
    """A member's coupons: a shop sees those for use at its shop."""
    return principal.kind != CredentialKind.PARTNER or coupon.partner_id == principal.partner_id


def may_check_coupon(principal: Principal, coupon: CouponRecord) -> bool:
    """A till checks a coupon before burning it: only at the coupon's shop; not members."""
    if principal.kind == CredentialKind.MEMBER or coupon.coalition_id != principal.coalition_id:
        return False
    return principal.kind != CredentialKind.PARTNER or coupon.partner_id == principal.partner_id


def programme_partner(principal: Principal, partner_id: str | None) -> uuid.UUID | None:
    """Whose programme (earn rules, campaigns, cards, rewards) a read is about:
    a partner key reads its own whatever it asks; others the one named, or all."""
    if principal.kind == CredentialKind.PARTNER:
        return principal.partner_id
    return parse_id(partner_id, "partnerId") if partner_id else None


def may_see_earn_rules(principal: Principal) -> bool:
    return principal.kind != CredentialKind.MEMBER


def may_see_ended_campaigns(principal: Principal) -> bool:
    return principal.kind != CredentialKind.MEMBER


def may_see_ended_challenges(principal: Principal) -> bool:
    return principal.kind == CredentialKind.OPERATOR


def may_see_withdrawn_rewards(principal: Principal) -> bool:
    """Those who manage the catalogue also see withdrawn rewards and closed shops' ones."""
    return principal.kind in (CredentialKind.OPERATOR, CredentialKind.PARTNER)


def may_see_inactive_charities(principal: Principal) -> bool:
    return principal.kind == CredentialKind.OPERATOR


def may_see_settlement(principal: Principal) -> bool:
    """Runs: the operator (every line) and partners (their own view); not members."""
    return principal.kind != CredentialKind.MEMBER


def statement_partner(principal: Principal, partner_id: str | None) -> uuid.UUID | None:
    """Whose statement may be fetched: a partner its own, the operator the one
    it names; None: none."""
    if principal.kind == CredentialKind.PARTNER:
        if partner_id is not None and parse_id(partner_id, "partnerId") != principal.partner_id:
            return None
        return principal.partner_id
    if principal.kind == CredentialKind.OPERATOR and partner_id is not None:
        return parse_id(partner_id, "partnerId")
    return None


def may_see_campaign_audience(principal: Principal, campaign_partner_id: uuid.UUID | None) -> bool:
    """Who a campaign is aimed at, and how it did against its holdout: the
    shop that runs it (its managers) and the operator; never members, tills,
    or other shops."""
    if principal.kind == CredentialKind.OPERATOR:
        return True
    return (
        principal.kind == CredentialKind.PARTNER
        and principal.role == PartnerRole.MANAGER
        and campaign_partner_id is not None
        and principal.partner_id == campaign_partner_id
    )


def may_see_campaign(principal: Principal, campaign_partner_id: uuid.UUID | None, ended: bool) -> bool:
    """One campaign, as the campaigns list shows it: a shop sees its own and
    the coalition's; members see those not ended; the operator every one."""
    if principal.kind == CredentialKind.PARTNER and campaign_partner_id not in (None, principal.partner_id):
        return False
    return not ended or may_see_ended_campaigns(principal)


# ---------- members' personal data ----------


def personal_data_subject(context: Context, what: str, member_id: str | None) -> uuid.UUID:
    """Whose personal data a call is about: a member's own (a ``memberId``, if
    given, must be theirs), or the member the operator's support names. Shops
    never: a till needs a card, not a person."""
    principal = context.principal
    if principal.kind == CredentialKind.MEMBER:
        own = require_member(context, what).member_id
        assert own is not None
        if member_id is not None and parse_id(member_id, "memberId") != own:
            raise DomainError(ErrorCode.NOT_FOUND, "no such member", ("memberId",))
        return own
    require_operator(context, what)
    if member_id is None:
        raise validation("memberId is required", "memberId")
    return parse_id(member_id, "memberId")


def is_staff_read(principal: Principal, record: MemberRecord) -> bool:
    """A read of a member's personal data by somebody other than the member: audited."""
    return principal.member_id != record.id


def may_see_profile(principal: Principal, record: MemberRecord) -> bool:
    """E-mail, phone, birth date and choices: the member and the operator's
    support (whose reads are audited), never a shop."""
    if record.coalition_id != principal.coalition_id or record.status == "ERASED":
        return False
    if principal.kind == CredentialKind.MEMBER:
        return record.id == principal.member_id
    return principal.kind == CredentialKind.OPERATOR


# ---------- insights ----------


def insights_refused() -> DomainError:
    """Every refusal of an insights query, whatever its reason (a member, another
    shop's figures, a shop unknown here, the coalition's figures asked by a
    shop): one code, one message, so a refusal says nothing of what exists."""
    return DomainError(ErrorCode.FORBIDDEN, "this credential may not read these figures")


async def insights_scope(context: Context, partner_id: str | None, *, shop_required: bool = False) -> uuid.UUID | None:
    """Whose figures a query reads: a shop (partner key or staff of that shop)
    its own; the operator any shop of its coalition, or the coalition's (None)
    when it names none; members nothing."""
    principal = context.principal
    if principal.kind == CredentialKind.MEMBER:
        raise insights_refused()
    if partner_id is None:
        if shop_required or principal.kind != CredentialKind.OPERATOR:
            raise insights_refused()
        return None
    wanted = parse_id(partner_id, "partnerId")
    if principal.kind == CredentialKind.PARTNER:
        if wanted != principal.partner_id:
            raise insights_refused()
        return wanted
    record = await context.partners.load(wanted)
    if record is None or not may_see_partner(principal, record):
        raise insights_refused()
    return wanted
