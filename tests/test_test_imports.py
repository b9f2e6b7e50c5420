"""Shared test helpers live in tests/support.py and tests/live_server.py, not in other test modules.

Importing from a test module runs it a second time under another name and ties one test file's
helpers to another's tests; pytest also collects the imported tests again in the importer.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def _is_test_module(module: str) -> bool:
    """A module pytest collects tests or fixtures from: test_*.py or conftest.py, in any package."""
    last = module.rsplit(".", 1)[-1]
    return module.startswith("tests.") and (last.startswith("test_") or last == "conftest")


def _imported_modules(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None and node.level == 0:
            modules.add(node.module)
            modules.update(f"{node.module}.{alias.name}" for alias in node.names)
    return modules


def test_no_module_under_tests_imports_from_a_test_module() -> None:
    sources = sorted(TESTS.rglob("*.py"))
    assert len(sources) > 20, "the walk found too few files to prove anything"
    offenders = {
        str(path.relative_to(TESTS)): sorted(filter(_is_test_module, _imported_modules(path)))
        for path in sources
        if "node_modules" not in path.parts
    }
    assert {path: modules for path, modules in offenders.items() if modules} == {}


def test_the_check_recognises_an_import_from_a_test_module(tmp_path: Path) -> None:
    offender = tmp_path / "test_offender.py"
    offender.write_text(
        "from tests.test_tasks import TASKS\nimport tests.conftest\nfrom tests.support import ROOT\n"
    )
    assert sorted(filter(_is_test_module, _imported_modules(offender))) == [
        "tests.conftest",
        "tests.test_tasks",
    ]
