"""The pure parts of the wallet's ways in: codes as made and as typed, where
a member may be sent after signing in, the site passkeys are made for."""

from __future__ import annotations

import pytest

from coalition.platform.errors import DomainError
from coalition.platform.members.codes import CODE_DIGITS, new_code, normalised_code
from coalition.platform.members.passkeys import MAX_NAME, RelyingParty, check_name
from coalition.web.wallet.account.common import safe_next


def test_codes_are_six_digits_and_read_as_typed_with_spaces_or_dashes() -> None:
    made = {new_code() for _ in range(200)}
    assert all(len(code) == CODE_DIGITS and code.isdigit() for code in made)
    assert len(made) > 150  # random, not a counter
    assert normalised_code(" 123-456 ") == "123456"
    assert normalised_code("12 34 56") == "123456"


@pytest.mark.parametrize(
    ("asked", "sent"),
    [
        ("/wallet/give", "/wallet/give"),
        ("/wallet/give?amount=5", "/wallet/give?amount=5"),
        ("/wallet", "/wallet"),
        (None, "/wallet"),
        ("", "/wallet"),
        ("https://evil.example/wallet", "/wallet"),
        ("//evil.example/wallet", "/wallet"),
        ("/walletx", "/wallet"),
        ("/portal/shop", "/wallet"),
        ("/wallet\\@evil.example", "/wallet"),
    ],
)
def test_after_signing_in_a_member_stays_in_the_wallet(asked: str | None, sent: str) -> None:
    assert safe_next(asked) == sent


def test_the_relying_party_is_the_public_address() -> None:
    party = RelyingParty.of("https://wallet.town.example/", "Town")
    assert (party.id, party.origin) == ("wallet.town.example", "https://wallet.town.example")
    local = RelyingParty.of("http://127.0.0.1:8000", "Town")
    assert (local.id, local.origin) == ("127.0.0.1", "http://127.0.0.1:8000")


def test_passkey_names_are_tidied_and_not_too_long() -> None:
    assert check_name("  My   phone ") == "My phone"
    assert check_name("") == "Passkey"
    with pytest.raises(DomainError):
        check_name("x" * (MAX_NAME + 1))
