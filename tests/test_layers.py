"""The layers of the import graph (pyproject.toml [tool.importlinter], docs/architecture.md) hold, and they
catch an upward import: a copy of the sources where ``contributions`` imports ``reports`` breaks the layers
contract and the no-cycle contract, naming the import."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")


def lint(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(LINT), "--no-cache", "--config", str(tree / "pyproject.toml")], cwd=tree,
                          env={"PYTHONPATH": str(tree / "src"), "PATH": "/usr/bin:/bin"},
                          capture_output=True, text=True, timeout=300)


def copy_tree(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    shutil.copytree(ROOT / "src", tree / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
    return tree


def test_the_contracts_are_kept() -> None:
    done = lint(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Contracts: 3 kept, 0 broken." in done.stdout


def test_an_upward_import_breaks_them(tmp_path: Path) -> None:
    tree = copy_tree(tmp_path)
    models = tree / "src/sicollect/contributions/models.py"
    # inside a function, as the hidden cycles of old were: grimp reads every import statement
    models.write_text(models.read_text() + "\n\ndef _upward() -> None:\n    from sicollect.reports import kpi  # noqa\n")
    done = lint(tree)
    assert done.returncode == 1
    assert "Contracts: 1 kept, 2 broken." in done.stdout, done.stdout
    assert "sicollect.contributions is not allowed to import sicollect.reports" in done.stdout
    assert "sicollect.contributions.models -> sicollect.reports.kpi" in done.stdout
