"""Fault injection for the robustness suite: ``SICOLLECT_FAULT=NAME`` makes the process kill itself with
SIGKILL (as ``kill -9`` would) when it reaches the point ``NAME``. Unset in production: a no-op."""
from __future__ import annotations

import os
import signal


def fault_point(name: str) -> None:
    if os.environ.get("SICOLLECT_FAULT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
