"""Shared test set-up. pytest-django is configured in pyproject.toml ([tool.pytest.ini_options]).

Add shared fixtures below; keep test data builders in tests/factories.py.
"""
from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings

# Property tests: the same examples on every run (CI must not be flaky); HYPOTHESIS_PROFILE=explore
# draws new random examples each run, for a developer hunting bugs. --hypothesis-show-statistics
# prints how many cases each property ran.
hypothesis_settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
hypothesis_settings.register_profile("explore", deadline=None, print_blob=True)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def _engine_line() -> str:
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        return "database: sqlite"
    where = f"{db.get('HOST') or 'local socket'}:{db.get('PORT') or 5432}, test database test_{db.get('NAME')}"
    return f"database: {db['ENGINE'].rsplit('.', 1)[-1]} ({where})"


def pytest_report_header(config: pytest.Config) -> str:
    """Which engine this run is on (scripts/test.sh runs the suite on both)."""
    return _engine_line()


def pytest_sessionstart(session: pytest.Session) -> None:
    # addopts has -q, which hides the report header: say it anyway.
    if session.config.get_verbosity() < 0:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(_engine_line())


@pytest.fixture(autouse=True)
def _empty_cache() -> Any:
    """Each test starts and ends with an empty cache (the process's, ``CACHES["default"]``): cached figures
    (``core.cache.cached``) belong to the data that made them, and two tests' data can share a fingerprint
    (ids are reused after a rollback)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


# What the generated-case runs did (schemathesis against the API, hypothesis on the importers): each
# adds a line here, printed at the end of the run even under -q, so CI logs show how many cases ran.
CASES_RAN: dict[str, str] = {}


def pytest_terminal_summary(terminalreporter: Any) -> None:
    lines = missing_tool_lines()
    if lines:
        terminalreporter.write_sep("-", "missing tools")
        for line in lines:
            terminalreporter.write_line(line)
    if CASES_RAN:
        terminalreporter.write_sep("-", "generated cases")
        for name, line in sorted(CASES_RAN.items()):
            terminalreporter.write_line(f"{name}: {line}")


# Skips that mean a missing tool (tests/tools.py: reasons starting "missing tool: "): listed at the end of
# the run, and with CI=true they fail it (exit status 1), so CI cannot pass without chromium, Java or pango.
MISSING_TOOL_SKIPS: list[str] = []


def _ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    from .tools import MISSING_TOOL

    if report.skipped and isinstance(report.longrepr, tuple):
        reason = str(report.longrepr[2]).removeprefix("Skipped: ")
        if reason.startswith(MISSING_TOOL):
            MISSING_TOOL_SKIPS.append(f"{report.nodeid}: {reason}")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if MISSING_TOOL_SKIPS and _ci() and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def missing_tool_lines() -> list[str]:
    if not MISSING_TOOL_SKIPS:
        return []
    head = (f"CI=true: {len(MISSING_TOOL_SKIPS)} test(s) skipped for a missing tool: the run FAILS" if _ci() else
            f"{len(MISSING_TOOL_SKIPS)} test(s) skipped for a missing tool (with CI=true the run would fail)")
    return [head, *MISSING_TOOL_SKIPS]
