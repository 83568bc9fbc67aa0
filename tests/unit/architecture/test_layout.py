"""The shape of the code base: modules small enough to read in one go, and
imports that never go round in a circle (import-linter's contracts in
pyproject.toml check the layers and what the API may import)."""

from __future__ import annotations

import graphlib
from pathlib import Path

import grimp

PACKAGE = Path(__file__).resolve().parents[3] / "coalition"
MAX_LINES = 400

# Modules allowed over the limit, and why. Migrations (long SQL and DDL by
# nature) and table definitions (one table per block) are always allowed.
# None today.
OVER_THE_LIMIT: dict[str, str] = {}


def _exempt(relative: Path) -> bool:
    return relative.parts[0] == "migrations" or relative.name == "tables.py"


def _modules() -> dict[str, int]:
    """Lines of every Python module under coalition/, by path relative to it."""
    return {
        path.relative_to(PACKAGE).as_posix(): len(path.read_text().splitlines())
        for path in sorted(PACKAGE.rglob("*.py"))
        if not _exempt(path.relative_to(PACKAGE))
    }


def test_no_module_is_over_the_limit() -> None:
    assert len(_modules()) > 50, f"no modules found under {PACKAGE}"
    too_long = {path: lines for path, lines in _modules().items() if lines > MAX_LINES and path not in OVER_THE_LIMIT}
    assert too_long == {}, f"split these modules (at most {MAX_LINES} lines each): {too_long}"


def test_every_exception_is_still_needed() -> None:
    modules = _modules()
    stale = [path for path in OVER_THE_LIMIT if modules.get(path, 0) <= MAX_LINES]
    assert stale == [], f"gone or no longer over {MAX_LINES} lines: drop their exceptions: {stale}"


def _import_cycle(imports: dict[str, set[str]]) -> list[str] | None:
    """One cycle of modules importing each other, or None."""
    try:
        graphlib.TopologicalSorter(imports).prepare()
    except graphlib.CycleError as cycle:
        found: list[str] = cycle.args[1]
        return found
    return None


def test_no_module_imports_itself_through_others() -> None:
    # grimp sees every import statement: those inside functions and under
    # TYPE_CHECKING too, so a cycle cannot hide in either.
    graph = grimp.build_graph("coalition")
    imports = {module: graph.find_modules_directly_imported_by(module) for module in graph.modules}
    cycle = _import_cycle(imports)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_a_cycle_is_found_and_named() -> None:
    imports = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    cycle = _import_cycle(imports)
    assert cycle is not None
    assert set(cycle) == {"a", "b", "c"}
    assert _import_cycle({"a": {"b"}, "b": set(), "d": {"a", "b"}}) is None
