"""The ``sicollect`` console script on a database that ``migrate`` has not brought up to date."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_a_command_on_an_unmigrated_database_says_migrate_not_a_traceback(tmp_path: Path) -> None:
    """A fresh SQLite file (SICOLLECT_VAR with no database): `sicollect demo` exits 2 with one line naming the
    first of the migrations not applied, and writes no unit."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(SICOLLECT_VAR=str(tmp_path), DJANGO_SETTINGS_MODULE="sicollect.settings")
    run = subprocess.run([sys.executable, "-m", "sicollect.cli", "demo", "--scale", "small"], env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr
    assert "migration(s) not applied (first: contenttypes.0001_initial): run `sicollect migrate` first" in run.stderr
    # and a wrong command is still Django's own message, not this one
    run = subprocess.run([sys.executable, "-m", "sicollect.cli", "no-such-command"], env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 1 and "Unknown command: 'no-such-command'" in run.stderr
