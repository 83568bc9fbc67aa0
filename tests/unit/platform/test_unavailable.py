"""Which failures are a server being away (503) and which are bugs (500)."""

from __future__ import annotations

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError, ProgrammingError

from coalition.platform.runtime.unavailable import is_unavailability


@pytest.mark.parametrize(
    "failure",
    [
        OperationalError("SELECT 1", {}, Exception("the database system is starting up")),
        InterfaceError("SELECT 1", {}, Exception("connection is closed")),
        ConnectionRefusedError(111, "Connection refused"),
        TimeoutError(),
        RedisConnectionError("Connection reset by peer"),
    ],
)
def test_a_server_away_is_unavailability(failure: Exception) -> None:
    assert is_unavailability(failure)


@pytest.mark.parametrize(
    "failure",
    [
        IntegrityError("INSERT", {}, Exception("duplicate key")),
        ProgrammingError("SELEC 1", {}, Exception("syntax error")),
        ValueError("a bug"),
    ],
)
def test_a_bug_is_not_unavailability(failure: Exception) -> None:
    assert not is_unavailability(failure)


def test_a_disconnect_seen_on_any_database_error_is_unavailability() -> None:
    lost = ProgrammingError("SELECT 1", {}, Exception("connection lost"), connection_invalidated=True)
    assert is_unavailability(lost)
