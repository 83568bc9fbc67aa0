"""The server settings the till's hot path depends on refuse values that
cannot work, before anything starts."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from coalition.platform.runtime.settings import Settings


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("workers", 0),
        ("database_pool_size", 0),
        ("group_commit_max_batch", 0),
        ("group_commit_max_batch", 33),
        ("group_commit_in_flight", 0),
    ],
)
def test_out_of_range_settings_are_refused(name: str, value: int) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(**{name: value})
    assert [error["loc"] for error in refused.value.errors()] == [(name,)]


def test_the_defaults_batch_within_the_subtransaction_cache() -> None:
    settings = Settings()
    assert 1 <= settings.group_commit_max_batch <= 32
    assert settings.workers >= 1
    assert settings.group_commit_in_flight >= 1
