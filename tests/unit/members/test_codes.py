"""Referral and invite codes: one length each, the length they are made with."""

from __future__ import annotations

import pytest

from coalition.platform.errors import DomainError, ErrorCode
from coalition.platform.members.rules import (
    INVITE_CODE_LENGTH,
    REFERRAL_CODE_LENGTH,
    check_invite_code,
    check_referral_code,
    new_invite_code,
    new_referral_code,
)


def test_codes_are_made_at_their_length_and_pass_their_check() -> None:
    for _ in range(50):
        referral, invite = new_referral_code(), new_invite_code()
        assert len(referral) == REFERRAL_CODE_LENGTH
        assert len(invite) == INVITE_CODE_LENGTH
        assert check_referral_code(referral) == referral
        assert check_invite_code(invite) == invite


def test_codes_are_read_as_typed_in_any_case_with_dashes_and_spaces() -> None:
    assert check_referral_code(" abcd-ef 23 ") == "ABCDEF23"


@pytest.mark.parametrize(
    ("check", "field", "length"),
    [
        (check_referral_code, "referralCode", REFERRAL_CODE_LENGTH),
        (check_invite_code, "inviteCode", INVITE_CODE_LENGTH),
    ],
)
def test_a_code_longer_than_any_made_is_refused_with_its_field(check, field: str, length: int) -> None:
    with pytest.raises(DomainError) as refused:
        check("A" * (length + 1))
    assert refused.value.code is ErrorCode.VALIDATION
    assert refused.value.field == (field,)
