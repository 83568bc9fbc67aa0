"""`coalition db backup` and `coalition db restore` as an operator runs them."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.support.databases import own_database


def _coalition(*args: str, database_url: str, redis_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COALITION_DATABASE_URL": database_url, "COALITION_REDIS_URL": redis_url}
    return subprocess.run(
        [sys.executable, "-m", "coalition", *args], env=env, capture_output=True, text=True, check=False, timeout=120
    )


@pytest.mark.slow
async def test_a_backup_restores_into_an_empty_database_and_the_ledger_verifies(settings, town, tmp_path) -> None:
    shop, _ = await town.partner(rate="1")
    _, card = await town.member(shop)
    await town.earn(shop, card, "25")
    dump = tmp_path / "coalition.dump"
    made = _coalition("db", "backup", str(dump), database_url=settings.database_url, redis_url=settings.redis_url)
    assert made.returncode == 0, made.stderr
    assert dump.stat().st_size > 0

    async with own_database(settings.database_url, migrated=False) as empty:
        restored = _coalition("db", "restore", str(dump), database_url=empty, redis_url=settings.redis_url)
        assert restored.returncode == 0, restored.stderr
        verified = _coalition("ledger", "verify", database_url=empty, redis_url=settings.redis_url)
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert "all invariants hold" in verified.stdout
        again = _coalition("db", "restore", str(dump), database_url=empty, redis_url=settings.redis_url)
    assert again.returncode == 2
    assert "RESTORE_TARGET_NOT_EMPTY" in again.stderr


def test_backup_and_restore_refuse_missing_paths(settings, tmp_path) -> None:
    missing_folder = _coalition(
        "db", "backup", str(tmp_path / "nope" / "x.dump"), database_url=settings.database_url,
        redis_url=settings.redis_url,
    )  # fmt: skip
    assert missing_folder.returncode == 2
    assert "does not exist" in missing_folder.stderr
    assert "Traceback" not in missing_folder.stderr
    missing_file = _coalition(
        "db", "restore", str(tmp_path / "x.dump"), database_url=settings.database_url, redis_url=settings.redis_url
    )
    assert missing_file.returncode == 2
    assert "BACKUP_NOT_FOUND" in missing_file.stderr
