"""What a new user meets first (issue 22): the runtime set is enough for the app, optional packages say
what to install, every pin is exact, and runserver's log lines come once."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from sicollect.core.optional import MissingOptional, require

ROOT = Path(__file__).resolve().parents[2]
#: Never in the runtime set: tests, scale engines, record linkage.
NOT_RUNTIME = {"duckdb", "numpy", "splink", "pyspark", "py4j", "pyarrow", "sqlglot", "pytest", "pytest-django", "hypothesis",
               "schemathesis", "playwright"}


def pins(name: str) -> dict[str, str]:
    """``{package: version}`` of one requirements file, its ``-r`` includes followed."""
    out: dict[str, str] = {}
    for line in (ROOT / name).read_text().splitlines():
        line = line.split("#")[0].strip()
        if not line:
            continue
        if line.startswith("-r"):
            out.update(pins(line[2:].strip()))
            continue
        m = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([0-9][A-Za-z0-9.\-+]*)", line)
        assert m, f"{name}: {line!r} is not an exact pin (NAME==VERSION)"
        out[m.group(1).lower().replace("_", "-")] = m.group(2)
    return out


def test_every_set_is_pinned_and_the_runtime_set_is_lean() -> None:
    runtime = pins("requirements.txt")
    assert {"django", "psycopg", "openpyxl", "lxml", "mt-940", "rapidfuzz", "weasyprint", "segno", "django-ninja",
            "django-axes", "django-csp", "django-otp"} <= set(runtime)
    assert not NOT_RUNTIME & set(runtime)
    sets = {name: pins(f"requirements-{name}.txt") for name in ("scale", "discovery", "bench", "test")}
    for name, found in sets.items():
        assert runtime.items() <= found.items(), name  # each set includes the runtime set, same versions
    assert {"duckdb", "pyspark", "pyarrow"} <= set(sets["scale"]) and "splink" in sets["discovery"]
    assert NOT_RUNTIME <= set(sets["test"])
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = {re.split(r"[<>=\[ ]", d)[0].lower() for d in meta["dependencies"]}
    assert not NOT_RUNTIME & names and {"scale", "discovery", "bench", "test"} <= set(meta["optional-dependencies"])


def test_the_app_imports_without_the_optional_packages() -> None:
    """Every module of sicollect (migrations aside) imports, and the URLs resolve, with the test, scale and
    discovery packages made unimportable: the runtime set is enough to run the app."""
    script = textwrap.dedent(f"""
        import importlib, os, pkgutil, sys
        BLOCK = {sorted(m.replace('-', '_') for m in NOT_RUNTIME)!r}
        class Blocker:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in BLOCK:
                    raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        sys.meta_path.insert(0, Blocker())
        os.environ["DJANGO_SETTINGS_MODULE"] = "sicollect.settings"
        import django
        django.setup()
        import sicollect
        from django.urls import resolve
        for m in pkgutil.walk_packages(sicollect.__path__, "sicollect."):
            if ".migrations." not in m.name:
                importlib.import_module(m.name)
        for url in ("/", "/api/docs", "/arrears/", "/coverage/"):
            resolve(url)
        print("ok")
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          cwd=ROOT)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]


def test_a_missing_optional_package_is_named_with_its_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "duckdb", None)  # "import duckdb" now fails as if not installed
    with pytest.raises(MissingOptional, match=r"--engine duckdb needs .*'duckdb'.*requirements-scale\.txt"):
        require("duckdb", "--engine duckdb")
    with pytest.raises(CommandError, match="pip install -r requirements-scale.txt") as exc:
        call_command("close", "--through", "2025-01", "--engine", "duckdb")
    assert exc.value.returncode == 2
    monkeypatch.setitem(sys.modules, "splink", None)
    # a submodule an earlier test imported would be found in sys.modules without its package
    monkeypatch.setitem(sys.modules, "splink.comparison_library", None)
    with pytest.raises(MissingOptional, match="requirements-discovery.txt"):
        require("splink.comparison_library", "record linkage")
    assert require("json", "a test").dumps([1]) == "[1]"  # present: the module itself


def test_runserver_log_lines_are_printed_once() -> None:
    """Django gives its "django" logger a console handler of its own; with the root's console handler too,
    every line of runserver ("Watching for file changes with StatReloader") came twice. Only the root's
    handler (with the masking filter) prints now: a fresh process logs the line as the reloader does."""
    script = textwrap.dedent("""
        import logging, os
        os.environ["DJANGO_SETTINGS_MODULE"] = "sicollect.settings"
        import django
        django.setup()
        logging.getLogger("django.utils.autoreload").info("Watching for file changes with %s", "StatReloader")
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd=ROOT,
                          env={**os.environ, "SICOLLECT_DEBUG": "1"})
    assert done.returncode == 0, done.stderr
    assert (done.stdout + done.stderr).count("Watching for file changes with StatReloader") == 1
