"""Who sees a member's profile (e-mail, phone, birth date, choices): the
member and the operator's support of their coalition, never a shop, nobody
once erased; and which reads are the audited ones."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from coalition.graphql import permissions
from coalition.platform.auth.service import Principal
from coalition.platform.auth.tokens import CredentialKind, PartnerRole
from coalition.platform.members.reads import MemberRecord

HOME, ABROAD = uuid.uuid4(), uuid.uuid4()
MEMBER, OTHER_MEMBER = uuid.uuid4(), uuid.uuid4()
RECORD = MemberRecord(
    id=MEMBER, coalition_id=HOME, card_number="8000000000001", email="a@example.test", phone=None, birth_date=None,
    status="ACTIVE", enrolled_by_partner_id=None, created_at=datetime(2026, 12, 3, tzinfo=UTC),
    referral_code="ABCDEFGH", referred_by_member_id=None,
)  # fmt: skip


def _principal(kind: CredentialKind, coalition: uuid.UUID = HOME, member: uuid.UUID | None = None) -> Principal:
    partner = kind == CredentialKind.PARTNER
    return Principal(
        credential_id=uuid.uuid4(), kind=kind, coalition_id=coalition, partner_id=uuid.uuid4() if partner else None,
        role=PartnerRole.MANAGER if partner else None, member_id=member,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("principal", "seen"),
    [
        (_principal(CredentialKind.MEMBER, member=MEMBER), True),
        (_principal(CredentialKind.OPERATOR), True),
        (_principal(CredentialKind.MEMBER, member=OTHER_MEMBER), False),
        (_principal(CredentialKind.MEMBER), False),  # a visitor of the public pages
        (_principal(CredentialKind.PARTNER), False),
        (_principal(CredentialKind.OPERATOR, ABROAD), False),
    ],
)
def test_who_sees_a_profile(principal: Principal, seen: bool) -> None:
    assert permissions.may_see_profile(principal, RECORD) is seen


def test_nobody_sees_an_erased_members_profile() -> None:
    erased = replace(RECORD, status="ERASED")
    assert not permissions.may_see_profile(_principal(CredentialKind.OPERATOR), erased)
    assert not permissions.may_see_profile(_principal(CredentialKind.MEMBER, member=MEMBER), erased)


def test_the_members_own_reads_are_not_audited_the_operators_are() -> None:
    assert not permissions.is_staff_read(_principal(CredentialKind.MEMBER, member=MEMBER), RECORD)
    assert permissions.is_staff_read(_principal(CredentialKind.OPERATOR), RECORD)
