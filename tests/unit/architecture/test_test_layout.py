"""The tests' own layout: test modules share helpers through tests/support only,
never through each other or a conftest.py, and each sits where its kind and
domain say (tests/unit/<domain>/, tests/integration/<domain>/, tests/e2e/)."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parents[2]
SHARED = "tests.support"


def _python_files() -> list[Path]:
    return sorted(TESTS.rglob("*.py"))


def _imported_modules(path: Path) -> list[tuple[int, str]]:
    """Every module the file imports, at any depth (imports inside functions too)."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            found.append((node.lineno, "." * node.level + (node.module or "")))
    return found


def _shares_only_support(module: str) -> bool:
    if module.startswith("."):
        return False  # relative imports hide where a helper comes from
    return not (module == "tests" or module.startswith("tests.")) or module == SHARED or module.startswith(SHARED + ".")


def test_tests_import_helpers_from_tests_support_only() -> None:
    offenders = [
        f"{path.relative_to(TESTS.parent)}:{line} imports {module}"
        for path in _python_files()
        for line, module in _imported_modules(path)
        if not _shares_only_support(module)
    ]
    assert offenders == [], "move the shared helper to tests/support/ and import it from there"


def test_each_test_module_sits_in_its_kind_and_domain_folder() -> None:
    misplaced = []
    for path in TESTS.rglob("test_*.py"):
        kind, *rest = path.relative_to(TESTS).parts
        in_domain_folder = kind in ("unit", "integration") and len(rest) >= 2
        if not (in_domain_folder or kind == "e2e"):
            misplaced.append(str(path.relative_to(TESTS.parent)))
    assert sorted(misplaced) == [], "test modules go in tests/unit/<domain>/, tests/integration/<domain>/ or tests/e2e/"


def test_the_checks_see_the_imports_they_judge() -> None:
    # Keeps the two checks above from passing vacuously: the walk reaches the
    # root conftest.py and finds its shared import, and the rule tells shared
    # helpers from imports of another test module.
    conftest = TESTS / "conftest.py"
    assert conftest in _python_files()
    assert (TESTS / "support" / "town.py") in _python_files()
    assert "tests.support.town" in {module for _, module in _imported_modules(conftest)}
    assert _shares_only_support("tests.support.graphql")
    assert _shares_only_support("coalition.settlement.service")
    assert not _shares_only_support("tests.conftest")
    assert not _shares_only_support("tests.integration.settlement.test_settlement")
    assert not _shares_only_support(".conftest")
