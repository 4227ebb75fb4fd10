"""Who a command-line action is recorded as: the operating-system user running ``sicollect``."""
from __future__ import annotations

import getpass


def cli_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no passwd entry (a container)
        return "cli:unknown"
