"""The benchmarks are not run by ``make test`` (they take minutes to hours), so nothing else would notice
when a change moves a name they import: every ``from sicollect… import name`` in ``benchmarks/*.py``,
at module level or inside a function, must name something that exists."""
from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

BENCHMARKS = sorted((Path(__file__).resolve().parents[1] / "benchmarks").glob("*.py"))


def sicollect_imports(path: Path) -> list[tuple[int, str, str | None]]:
    """(line, module, name) of each import of sicollect in the file (name None: ``import module``)."""
    found: list[tuple[int, str, str | None]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("sicollect"):
            found += [(node.lineno, node.module, a.name) for a in node.names]
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name, None) for a in node.names if a.name.startswith("sicollect")]
    return found


@pytest.mark.parametrize("path", BENCHMARKS, ids=lambda p: p.name)
def test_every_name_a_benchmark_imports_exists(path: Path) -> None:
    missing = []
    for line, module, name in sicollect_imports(path):
        try:
            mod = importlib.import_module(module)
        except ImportError as exc:
            missing.append(f"{path.name}:{line}: {module}: {exc}")
            continue
        if name is not None and not hasattr(mod, name):
            try:
                importlib.import_module(f"{module}.{name}")  # a submodule
            except ImportError:
                missing.append(f"{path.name}:{line}: {module} has no {name}")
    assert missing == []


def test_the_check_finds_a_moved_name(tmp_path: Path) -> None:
    """The import that broke `make bench-web` after issue 16 moved Role and StaffProfile to staff."""
    bad = tmp_path / "bench.py"
    bad.write_text("def main():\n    from sicollect.web.models import Role, StaffProfile\n", encoding="utf-8")
    assert sicollect_imports(bad) == [(2, "sicollect.web.models", "Role"), (2, "sicollect.web.models", "StaffProfile")]
    assert not hasattr(importlib.import_module("sicollect.web.models"), "Role")
