"""Who sees which record, decided without I/O: the rules the authorisation
table (tests/e2e/test_authorisation.py) checks through the API, here one
predicate at a time, including callers from another coalition."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from coalition.graphql import permissions
from coalition.partners.reads import CouponRecord
from coalition.platform.auth.service import Principal
from coalition.platform.auth.tokens import CredentialKind, PartnerRole
from coalition.platform.errors import DomainError
from coalition.platform.ledger.reads import TransactionRecord
from coalition.platform.members.reads import MemberRecord

HOME, ABROAD = uuid.uuid4(), uuid.uuid4()
SHOP, OTHER_SHOP = uuid.uuid4(), uuid.uuid4()
MEMBER, OTHER_MEMBER = uuid.uuid4(), uuid.uuid4()
NOW = datetime(2026, 12, 2, 12, tzinfo=UTC)


def _principal(kind: CredentialKind, coalition: uuid.UUID = HOME) -> Principal:
    return Principal(
        credential_id=uuid.uuid4(),
        kind=kind,
        coalition_id=coalition,
        partner_id=SHOP if kind == CredentialKind.PARTNER else None,
        role=PartnerRole.POS if kind == CredentialKind.PARTNER else None,
        member_id=MEMBER if kind == CredentialKind.MEMBER else None,
    )


OPERATOR = _principal(CredentialKind.OPERATOR)
PARTNER = _principal(CredentialKind.PARTNER)
A_MEMBER = _principal(CredentialKind.MEMBER)
FOREIGN_OPERATOR = _principal(CredentialKind.OPERATOR, ABROAD)


def _transaction(member: uuid.UUID, partner: uuid.UUID | None, coalition: uuid.UUID = HOME) -> TransactionRecord:
    return TransactionRecord(
        id=uuid.uuid4(), member_id=member, coalition_id=coalition, partner_id=partner, kind="EARN", points=5,
        business_date=date(2026, 12, 2), created_at=NOW, purchase_minor=500, reverses_id=None, explanation=[],
    )  # fmt: skip


def _member(member: uuid.UUID, coalition: uuid.UUID = HOME) -> MemberRecord:
    return MemberRecord(
        id=member, coalition_id=coalition, card_number="8000000000001", email=None, phone=None, birth_date=None,
        status="ACTIVE", enrolled_by_partner_id=None, created_at=NOW, referral_code="ABCDEFGH",
        referred_by_member_id=None,
    )  # fmt: skip


def _coupon(partner: uuid.UUID, coalition: uuid.UUID = HOME) -> CouponRecord:
    return CouponRecord(
        id=uuid.uuid4(), coalition_id=coalition, member_id=MEMBER, partner_id=partner, reward_id=uuid.uuid4(),
        code="ABCD1234", source="PURCHASE", status="ISSUED", expires_at=NOW, issued_at=NOW, transaction_id=None,
        used_at=None,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("principal", "record", "seen"),
    [
        (OPERATOR, _transaction(OTHER_MEMBER, OTHER_SHOP), True),
        (FOREIGN_OPERATOR, _transaction(MEMBER, SHOP), False),
        (PARTNER, _transaction(OTHER_MEMBER, SHOP), True),
        (PARTNER, _transaction(MEMBER, OTHER_SHOP), False),
        (PARTNER, _transaction(MEMBER, None), False),
        (A_MEMBER, _transaction(MEMBER, OTHER_SHOP), True),
        (A_MEMBER, _transaction(OTHER_MEMBER, SHOP), False),
    ],
)
def test_a_transaction_is_seen_by_the_operator_its_shop_and_its_member(
    principal: Principal, record: TransactionRecord, seen: bool
) -> None:
    assert permissions.may_see_transaction(principal, record) is seen


@pytest.mark.parametrize(
    ("principal", "record", "seen"),
    [
        (OPERATOR, _member(OTHER_MEMBER), True),
        (PARTNER, _member(OTHER_MEMBER), True),
        (A_MEMBER, _member(MEMBER), True),
        (A_MEMBER, _member(OTHER_MEMBER), False),
        (FOREIGN_OPERATOR, _member(MEMBER), False),
        (PARTNER, _member(MEMBER, ABROAD), False),
    ],
)
def test_members_are_seen_in_their_coalition_and_a_member_sees_only_themself(
    principal: Principal, record: MemberRecord, seen: bool
) -> None:
    assert permissions.may_see_member(principal, record) is seen


def test_a_partners_liability_is_the_operators_and_its_own_business() -> None:
    assert permissions.may_see_outstanding_points(OPERATOR, OTHER_SHOP)
    assert permissions.may_see_outstanding_points(PARTNER, SHOP)
    assert not permissions.may_see_outstanding_points(PARTNER, OTHER_SHOP)
    assert not permissions.may_see_outstanding_points(A_MEMBER, SHOP)


def test_a_shop_sees_its_side_of_shared_records_and_its_own_programme() -> None:
    assert permissions.shop_view(PARTNER) == SHOP
    assert permissions.shop_view(OPERATOR) is None
    assert permissions.programme_partner(PARTNER, str(OTHER_SHOP)) == SHOP
    assert permissions.programme_partner(OPERATOR, str(OTHER_SHOP)) == OTHER_SHOP
    assert permissions.programme_partner(OPERATOR, None) is None


def test_a_statement_is_its_partners_or_the_operators_to_fetch() -> None:
    assert permissions.statement_partner(PARTNER, None) == SHOP
    assert permissions.statement_partner(PARTNER, str(OTHER_SHOP)) is None
    assert permissions.statement_partner(OPERATOR, str(OTHER_SHOP)) == OTHER_SHOP
    assert permissions.statement_partner(OPERATOR, None) is None
    assert permissions.statement_partner(A_MEMBER, str(SHOP)) is None
    with pytest.raises(DomainError) as refused:
        permissions.statement_partner(OPERATOR, "not-an-id")
    assert refused.value.field == ("partnerId",)


def test_a_coupon_is_checked_only_at_its_shop_and_never_abroad() -> None:
    assert permissions.may_check_coupon(PARTNER, _coupon(SHOP))
    assert not permissions.may_check_coupon(PARTNER, _coupon(OTHER_SHOP))
    assert not permissions.may_check_coupon(A_MEMBER, _coupon(SHOP))
    assert permissions.may_check_coupon(OPERATOR, _coupon(OTHER_SHOP))
    assert not permissions.may_check_coupon(FOREIGN_OPERATOR, _coupon(SHOP))
    assert permissions.may_see_coupon(A_MEMBER, _coupon(OTHER_SHOP))
    assert not permissions.may_see_coupon(PARTNER, _coupon(OTHER_SHOP))


def test_operator_only_reads_and_private_member_fields() -> None:
    assert permissions.is_operator(OPERATOR)
    assert not permissions.is_operator(PARTNER)
    assert permissions.may_see_member_privately(A_MEMBER)
    assert permissions.may_see_member_privately(OPERATOR)
    assert not permissions.may_see_member_privately(PARTNER)
    assert not permissions.may_see_settlement(A_MEMBER)
    assert permissions.may_see_settlement(PARTNER)
