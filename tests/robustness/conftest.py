"""The robustness suite (issue 17): bad inputs at every door and faults (kill -9, two writers), each
followed by a check that the data is as before. Every test adds to the tally printed at the end of the
run, under "generated cases": ``robustness: N bad inputs refused, M faults survived, K rows changed``.

Helpers:
- :func:`snapshot` — row counts and a checksum of every table (the same on SQLite and PostgreSQL);
- :func:`unchanged` — asserts a snapshot equals an earlier one, counting the rows that differ;
- :class:`FileDb` — the database as another process sees it (SQLite: a file copied from the in-memory
  test database; PostgreSQL: the test database itself), to run ``sicollect`` commands in subprocesses.
"""
from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

from django.db import connection

from ..conftest import CASES_RAN

ROOT = Path(__file__).resolve().parents[2]
TALLY = {"refused": 0, "survived": 0, "changed": 0}


def _publish() -> None:
    CASES_RAN["robustness"] = (f"{TALLY['refused']} bad inputs refused, {TALLY['survived']} faults survived, "
                               f"{TALLY['changed']} rows changed")


def refused(n: int = 1) -> None:
    TALLY["refused"] += n
    _publish()


def survived(n: int = 1) -> None:
    TALLY["survived"] += n
    _publish()


def _table_digest(rows: list[tuple[Any, ...]]) -> str:
    h = hashlib.sha256()
    for r in sorted(repr(tuple(str(v) for v in row)) for row in rows):
        h.update(r.encode())
    return h.hexdigest()[:16]


#: tables that change on every request or login (the cache, sessions, login attempts, tokens' last use), not data
VOLATILE = {"sicollect_cache", "api_apitoken", "django_session", "axes_accessattempt", "axes_accesslog", "axes_accessfailurelog"}


def snapshot(path: Path | None = None) -> dict[str, tuple[int, str]]:
    """``{table: (rows, checksum)}`` of this database (or of the SQLite file ``path``)."""
    if path is not None:
        with sqlite3.connect(path) as db:
            tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                               "AND name NOT LIKE 'sqlite_%'")]
            out = {}
            for t in tables:
                if t in VOLATILE:
                    continue
                rows = db.execute(f'SELECT * FROM "{t}"').fetchall()  # noqa: S608
                out[t] = (len(rows), _table_digest(rows))
            return out
    out = {}
    with connection.cursor() as cur:
        for t in connection.introspection.table_names(cur):
            if t in VOLATILE:
                continue
            cur.execute(f"SELECT * FROM {connection.ops.quote_name(t)}")  # noqa: S608
            rows = cur.fetchall()
            out[t] = (len(rows), _table_digest(rows))
    return out


def unchanged(before: dict[str, tuple[int, str]], after: dict[str, tuple[int, str]]) -> None:
    """Assert nothing changed; the rows of tables that did go into the tally (and fail the test)."""
    diff = {t for t in set(before) | set(after) if before.get(t) != after.get(t)}
    if diff:
        TALLY["changed"] += sum(abs(before.get(t, (0, ""))[0] - after.get(t, (0, ""))[0]) or 1 for t in diff)
        _publish()
    assert not diff, f"tables changed: {sorted(diff)}"


class FileDb:
    """The test database as a subprocess sees it; :meth:`run` runs ``sicollect ARGS`` there."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.sqlite = connection.vendor == "sqlite"
        db = connection.settings_dict
        if self.sqlite:
            self.path: Path | None = tmp / "live.sqlite3"
            dest = sqlite3.connect(self.path)
            connection.ensure_connection()
            connection.connection.backup(dest)
            dest.execute("PRAGMA journal_mode=WAL")
            dest.close()
            self.url = f"sqlite:///{self.path}"
        else:
            self.path = None
            auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
            self.url = f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"

    def env(self, **extra: str) -> dict[str, str]:
        return {**os.environ, "DATABASE_URL": self.url, "DJANGO_SETTINGS_MODULE": "sicollect.settings",
                "PYTHONPATH": str(ROOT / "src"), "SICOLLECT_VAR": str(self.tmp / "var"), **extra}

    def start(self, *args: str, **env: str) -> subprocess.Popen[str]:
        return subprocess.Popen([sys.executable, "-m", "sicollect.cli", *args], env=self.env(**env), cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def run(self, *args: str, **env: str) -> tuple[int, str]:
        proc = self.start(*args, **env)
        out, err = proc.communicate(timeout=300)
        return proc.returncode, out + err

    def snapshot(self) -> dict[str, tuple[int, str]]:
        return snapshot(self.path) if self.sqlite else snapshot()

    def file_bytes(self) -> bytes | None:
        """SQLite: the live file's bytes (byte identity); PostgreSQL: None (counts and checksums instead)."""
        return self.path.read_bytes() if self.path is not None else None
