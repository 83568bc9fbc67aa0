"""The licence pyproject.toml declares is the text in the repository."""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_the_repository_carries_the_gnu_agpl_v3_it_declares() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["license"]
    assert declared == "AGPL-3.0-or-later"
    text = (ROOT / "LICENSE").read_bytes()
    assert text.startswith(b"                    GNU AFFERO GENERAL PUBLIC LICENSE\n")
    assert b"  13. Remote Network Interaction; Use with the GNU General Public License." in text
    # Pinned (the FSF's agpl-3.0.txt as added): an accidental edit of the text fails here.
    assert hashlib.sha256(text).hexdigest() == "8486a10c4393cee1c25392769ddd3b2d6c242d6ec7928e1414efff7dfb2f07ef"
