"""Which counters a request is charged to."""

from __future__ import annotations

from coalition.platform.runtime.rate_limits import Limits, RateLimiter


def _limiter(per_credential: int = 10, per_address: int = 20) -> RateLimiter:
    return RateLimiter(Limits(60, per_credential, per_address, frozenset({"127.0.0.1"})))


def test_a_request_is_charged_to_its_credential_and_its_address() -> None:
    keys = _limiter().keys("secret-token", "203.0.113.5")
    assert [limit for _, limit in keys] == [10, 20]
    assert keys[0][0].startswith("rate:credential:")
    assert "secret-token" not in keys[0][0]
    assert keys[1][0].startswith("rate:address:203.0.113.5:")


def test_exempt_addresses_and_anonymous_requests_are_charged_less() -> None:
    assert [limit for _, limit in _limiter().keys("t", "127.0.0.1")] == [10]
    assert [limit for _, limit in _limiter().keys(None, "203.0.113.5")] == [20]


def test_a_zero_limit_is_no_limit() -> None:
    assert _limiter(per_credential=0, per_address=0).keys("t", "203.0.113.5") == []


def test_the_same_credential_in_the_same_window_shares_a_counter() -> None:
    limiter = _limiter()
    assert limiter.keys("t", None) == limiter.keys("t", None)
    assert limiter.keys("t", None) != limiter.keys("u", None)
