"""Where the portal sends someone after signing in: a path on this site
they were going to, never another site, else their role's first page."""

from __future__ import annotations

import pytest

from coalition.platform.staff.rules import StaffRole
from coalition.web.portal.access import destination, local_path


@pytest.mark.parametrize("candidate", ["//evil.example/x", "https://evil.example/", "/\\evil.example", "", None, "x"])
def test_anything_but_a_local_path_is_refused(candidate: str | None) -> None:
    assert local_path(candidate) is None


def test_a_local_path_is_kept_with_its_query() -> None:
    assert local_path("/portal/keys?x=1") == "/portal/keys?x=1"


def test_without_a_next_page_each_role_lands_on_its_first_page() -> None:
    assert destination(None, StaffRole.CASHIER) == "/portal/shop/till"
    assert destination("//evil.example", StaffRole.OWNER) == "/portal/shop/dashboard"
    assert destination(None, StaffRole.OPERATOR_FINANCE) == "/portal/operator/settlement"
    assert destination("/portal/staff", StaffRole.OPERATOR_ADMIN) == "/portal/staff"
