"""Who may appoint whom, and what rights each role has through the API."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from coalition.platform.auth.tokens import CredentialKind, PartnerRole
from coalition.platform.errors import DomainError, ErrorCode
from coalition.platform.outbox.service import retry_delay
from coalition.platform.staff.rules import (
    Grant,
    StaffRole,
    api_rights,
    check_may_grant,
    checked_grant,
    checked_password,
    may_grant,
    needs_second_factor,
    normalised_email,
)

SHOP = uuid.uuid4()
OTHER_SHOP = uuid.uuid4()
ADMIN = Grant(StaffRole.OPERATOR_ADMIN)
FINANCE = Grant(StaffRole.OPERATOR_FINANCE)


def test_the_operators_admin_appoints_operator_staff_and_shop_owners_only() -> None:
    assert may_grant([ADMIN], Grant(StaffRole.OPERATOR_ADMIN))
    assert may_grant([ADMIN], Grant(StaffRole.OPERATOR_FINANCE))
    assert may_grant([ADMIN], Grant(StaffRole.OWNER, SHOP))
    assert not may_grant([ADMIN], Grant(StaffRole.MANAGER, SHOP))
    assert not may_grant([ADMIN], Grant(StaffRole.CASHIER, SHOP))


def test_finance_staff_appoint_nobody() -> None:
    assert not any(
        may_grant([FINANCE], grant)
        for grant in (ADMIN, FINANCE, Grant(StaffRole.OWNER, SHOP), Grant(StaffRole.CASHIER, SHOP))
    )


def test_an_owner_appoints_managers_and_cashiers_of_their_own_shop_only() -> None:
    owner = [Grant(StaffRole.OWNER, SHOP)]
    assert may_grant(owner, Grant(StaffRole.MANAGER, SHOP))
    assert may_grant(owner, Grant(StaffRole.CASHIER, SHOP))
    assert not may_grant(owner, Grant(StaffRole.CASHIER, OTHER_SHOP))
    assert not may_grant(owner, Grant(StaffRole.OWNER, SHOP))
    assert not may_grant(owner, ADMIN)


def test_managers_and_cashiers_appoint_nobody() -> None:
    for role in (StaffRole.MANAGER, StaffRole.CASHIER):
        assert not may_grant([Grant(role, SHOP)], Grant(StaffRole.CASHIER, SHOP))


def test_a_refused_appointment_is_forbidden_and_names_the_role() -> None:
    with pytest.raises(DomainError) as refused:
        check_may_grant([Grant(StaffRole.MANAGER, SHOP)], Grant(StaffRole.CASHIER, SHOP))
    assert (refused.value.code, refused.value.field) == (ErrorCode.FORBIDDEN, ("role",))


@pytest.mark.parametrize(
    ("role", "partner", "field"),
    [("BARISTA", None, ("role",)), ("OWNER", None, ("partnerId",)), ("OPERATOR_ADMIN", SHOP, ("partnerId",))],
)
def test_malformed_grants_are_refused_naming_the_field(role: str, partner: uuid.UUID | None, field: tuple[str]) -> None:
    with pytest.raises(DomainError) as refused:
        checked_grant(role, partner)
    assert (refused.value.code, refused.value.field) == (ErrorCode.VALIDATION, field)


def test_each_role_acts_through_the_api_as_the_matching_credential() -> None:
    assert api_rights(ADMIN) == (CredentialKind.OPERATOR, None)
    assert api_rights(FINANCE) == (CredentialKind.OPERATOR, None)
    assert api_rights(Grant(StaffRole.OWNER, SHOP)) == (CredentialKind.PARTNER, PartnerRole.MANAGER)
    assert api_rights(Grant(StaffRole.MANAGER, SHOP)) == (CredentialKind.PARTNER, PartnerRole.MANAGER)
    assert api_rights(Grant(StaffRole.CASHIER, SHOP)) == (CredentialKind.PARTNER, PartnerRole.POS)


def test_operator_staff_and_owners_need_a_second_factor_managers_and_cashiers_do_not() -> None:
    assert needs_second_factor([ADMIN])
    assert needs_second_factor([FINANCE])
    assert needs_second_factor([Grant(StaffRole.CASHIER, SHOP), Grant(StaffRole.OWNER, OTHER_SHOP)])
    assert not needs_second_factor([Grant(StaffRole.MANAGER, SHOP), Grant(StaffRole.CASHIER, OTHER_SHOP)])


def test_addresses_are_trimmed_and_checked() -> None:
    assert normalised_email("  Ann@Bakery.example ") == "Ann@Bakery.example"
    with pytest.raises(DomainError) as refused:
        normalised_email("ann.bakery.example")
    assert refused.value.field == ("email",)


def test_short_passwords_are_refused() -> None:
    with pytest.raises(DomainError) as refused:
        checked_password("short")
    assert refused.value.field == ("password",)
    assert checked_password("twelve chars") == "twelve chars"


def test_mail_retries_back_off_from_a_minute_to_at_most_six_hours() -> None:
    assert [retry_delay(n) for n in range(4)] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert retry_delay(9) == timedelta(hours=6)
    assert retry_delay(1000) == timedelta(hours=6)
