"""Skips that mean a missing tool (a Debian package or a Python package `make test` installs).

Their reasons start with :data:`MISSING_TOOL`; with ``CI=true`` the run fails when any such skip
happened (tests/conftest.py), so a CI machine without chromium, Java or pango cannot pass quietly.
Skips for other reasons (a test that runs on the other engine's pass) keep their plain reason."""
from __future__ import annotations

MISSING_TOOL = "missing tool: "


def missing_tool(reason: str | None) -> str | None:
    """``reason`` with the prefix (None stays None: nothing missing)."""
    return None if reason is None else f"{MISSING_TOOL}{reason}"
