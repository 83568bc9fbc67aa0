"""`coalition db distribute` on a plain PostgreSQL: a clear refusal, nothing changed."""

from __future__ import annotations

import subprocess
import sys

import pytest

from coalition.platform.runtime.distribute import DistributeError, distribute


def test_a_plain_postgresql_is_refused(database_url: str) -> None:
    with pytest.raises(DistributeError) as refused:
        distribute(database_url)
    assert refused.value.code == "NOT_CITUS"


def test_the_command_says_so_and_fails(database_url: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "coalition", "db", "distribute"],
        env={"COALITION_DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "error NOT_CITUS: this database is a plain PostgreSQL" in done.stderr
