"""One writer at a time: the commands that write money or the registry in bulk (``import``,
``bankstatement``, ``declare``, ``close``, ``post``, ``restore``) take the writer lock first.

- SQLite: an exclusive ``flock`` on ``<database>.writer.lock`` beside the database file (in
  ``SICOLLECT_VAR`` for an in-memory database); the file holds the holder's description. The database
  itself runs in WAL mode with a busy timeout (settings.py), so readers (the web app) never wait.
- PostgreSQL: a session advisory lock (``pg_try_advisory_lock``) on a connection of its own, whose
  ``application_name`` names the holder (found again through ``pg_locks`` and ``pg_stat_activity``).

A second writer prints ``waiting for the writer lock held by …`` and waits up to ``SICOLLECT_LOCK_WAIT``
seconds (default 60; 0: refuse at once), then raises :class:`LockBusy` naming the holder (the commands
exit 2). A killed holder releases the lock with its process (the kernel drops the flock, PostgreSQL ends
the session). The lock is re-entrant within one process.
"""
from __future__ import annotations

import contextlib
import fcntl
import os
import socket
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from django.db import connection

_KEY = 0x51C0_11EC  # the advisory lock key: "sicollect"
_held = 0


class LockBusy(RuntimeError):  # noqa: N818 (what the callers catch)
    """Another writer holds the lock and did not let go in time."""


def lock_wait() -> float:
    try:
        return max(0.0, float(os.environ.get("SICOLLECT_LOCK_WAIT", "60")))
    except ValueError:
        return 60.0


def _holder(what: str) -> str:
    from sicollect.core.audit import cli_actor

    return f"{what} by {cli_actor()}, pid {os.getpid()} on {socket.gethostname()}, since {datetime.now():%Y-%m-%d %H:%M:%S}"


def lock_path() -> Path:
    from django.conf import settings

    name = str(connection.settings_dict["NAME"])
    if connection.vendor == "sqlite" and not ("mode=memory" in name or name.startswith(("file:memorydb", ":memory:"))):
        return Path(name).with_name(Path(name).name + ".writer.lock")
    return Path(settings.VAR_DIR) / "writer.lock"


@contextlib.contextmanager
def writer_lock(what: str, *, wait: float | None = None, stream: Any = None) -> Iterator[str]:
    """Hold the writer lock for the block; yields the holder description written for others to see."""
    global _held
    if _held:
        _held += 1
        try:
            yield "(held)"
        finally:
            _held -= 1
        return
    wait = lock_wait() if wait is None else wait
    holder = _holder(what)
    with (_pg_lock if connection.vendor == "postgresql" else _file_lock)(holder, wait, stream):
        _held = 1
        try:
            yield holder
        finally:
            _held = 0


def _say(stream: Any, text: str) -> None:
    if stream is not None:
        stream.write(text)
        with contextlib.suppress(Exception):
            stream.flush()


@contextlib.contextmanager
def _file_lock(holder: str, wait: float, stream: Any) -> Iterator[None]:
    path = lock_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fh: IO[str] = open(path, "a+", encoding="utf-8")  # noqa: SIM115 (held across the yield)
    try:
        deadline = time.monotonic() + wait
        said = False
        while True:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                fh.seek(0)
                other = fh.read().strip() or "another sicollect process"
                if time.monotonic() >= deadline:
                    raise LockBusy(f"another writer holds the database: {other} (lock file {path}); "
                                   "try again when it has finished") from None
                if not said:
                    _say(stream, f"waiting for the writer lock held by {other} (up to {wait:.0f} s)…")
                    said = True
                time.sleep(0.2)
        fh.seek(0)
        fh.truncate()
        fh.write(holder + "\n")
        fh.flush()
        try:
            yield
        finally:
            fh.seek(0)
            fh.truncate()
            fh.flush()
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
    finally:
        fh.close()


@contextlib.contextmanager
def _pg_lock(holder: str, wait: float, stream: Any) -> Iterator[None]:
    raw = connection.get_new_connection(connection.get_connection_params())
    try:
        raw.autocommit = True
        with raw.cursor() as cur:
            cur.execute("SELECT set_config('application_name', %s, false)", [holder[:63]])  # PostgreSQL keeps 63
            deadline = time.monotonic() + wait
            said = False
            while True:
                cur.execute("SELECT pg_try_advisory_lock(%s)", [_KEY])
                if cur.fetchone()[0]:
                    break
                cur.execute("SELECT a.application_name, a.pid, a.client_addr, a.backend_start FROM pg_locks l "
                            "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted "
                            "AND l.objid = %s AND l.database = (SELECT oid FROM pg_database "
                            "WHERE datname = current_database())", [_KEY & 0xFFFFFFFF])
                row = cur.fetchone()
                other = (f"{row[0] or 'a session'} (server pid {row[1]}, from {row[2] or 'local'})"
                         if row else "another session")
                if time.monotonic() >= deadline:
                    raise LockBusy(f"another writer holds the database: {other}; try again when it has finished")
                if not said:
                    _say(stream, f"waiting for the writer lock held by {other} (up to {wait:.0f} s)…")
                    said = True
                time.sleep(0.2)
            try:
                yield
            finally:
                with contextlib.suppress(Exception):
                    cur.execute("SELECT pg_advisory_unlock(%s)", [_KEY])
    finally:
        with contextlib.suppress(Exception):
            raw.close()


def writes(what: str) -> Any:
    """Decorator for a management command's ``handle``: run it under the writer lock. A lock not had in
    time, or SQLite's ``database is locked`` from a program outside sicollect, is exit 2 with the reason,
    never a traceback."""
    import functools

    from django.core.management.base import CommandError
    from django.db import OperationalError

    def decorate(handle: Any) -> Any:
        @functools.wraps(handle)
        def wrapper(self: Any, *args: Any, **opts: Any) -> Any:
            try:
                with writer_lock(what, stream=self.stderr):
                    return handle(self, *args, **opts)
            except LockBusy as exc:
                raise CommandError(f"{exc}; nothing was written", returncode=2) from None
            except OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                raise CommandError(f"the database is busy ({exc}): another program is writing to it; "
                                   "nothing was written, try again", returncode=2) from None
        return wrapper
    return decorate
