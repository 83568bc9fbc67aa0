"""The README's command sequences, run as written."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).parents[2] / "README.md"
# Long-running processes; their own tests start and stop them.
SERVERS = {"serve", "worker"}


def readme_commands(section: str) -> list[list[str]]:
    """The `uv run coalition ...` commands of the first sh block under ``section``."""
    text = README.read_text()
    block = text[text.index(section) :].split("```sh\n", 1)[1].split("```", 1)[0]
    commands = []
    for line in block.replace("\\\n", " ").splitlines():
        words = shlex.split(line, comments=True)
        if words:
            assert words[:3] == ["uv", "run", "coalition"], line
            commands.append(words[3:])
    return commands


@pytest.fixture
def env(settings) -> dict[str, str]:
    return {**os.environ, "COALITION_DATABASE_URL": settings.database_url, "COALITION_REDIS_URL": settings.redis_url}


@pytest.mark.slow
def test_setting_up_a_real_coalition_works_as_written(env) -> None:
    commands = readme_commands("## Setting up a real coalition")
    assert ["admin", "enrol-member"] in [c[:2] for c in commands]
    printed: dict[str, str] = {}  # the ids the README tells the reader to take from earlier output
    ran = []
    for words in commands:
        if words[0] in SERVERS:
            continue
        words = [printed.get(word, word) for word in words]
        done = subprocess.run(
            [sys.executable, "-m", "coalition", *words], env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, f"coalition {shlex.join(words)}: {done.stderr}"
        ran.append(words[:2])
        if words[:2] == ["admin", "create-partner"]:
            printed["PARTNER_ID"] = json.loads(done.stdout)["id"]
        elif words[:2] == ["admin", "api-key"]:
            printed["CREDENTIAL_ID"] = json.loads(done.stdout)["id"]
        elif words[:2] == ["admin", "member-token"]:
            assert json.loads(done.stdout)["token"].startswith("coal_mb_")
        elif words[:2] == ["ledger", "verify"]:
            assert "all invariants hold" in done.stdout
    assert ["admin", "revoke"] in ran
    assert ["payouts", "partner-account"] in ran
