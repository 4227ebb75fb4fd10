"""Restore that cannot destroy: a foreign file, a truncated backup, a backup with corrupted pages, a backup
from a newer schema, and kill -9 at several points of a restore — each exits 2 (or dies) and leaves the live
database byte-identical (SQLite) or with identical row counts and checksums (PostgreSQL). And what held: a
real backup restores, and ``restore --check`` changes nothing."""
from __future__ import annotations

import json
import shutil
import signal
import sqlite3
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from sicollect.core.backup import _sha256, _sqlite_facts, manifest_path

from .. import factories as f
from .conftest import FileDb, refused, survived, unchanged

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def live(tmp_path: Path) -> tuple[FileDb, Path]:
    """A unit with HI on 10,000,000 from July 2025 and a payment of 450,000, committed; a verified backup."""
    u = f.unit("RB0001")
    f.participation(u, f.person("3101000001"), "2025-07", None, 10_000_000, "HI")
    f.payment(u, date(2025, 8, 20), 450_000, "RB-1")
    db = FileDb(tmp_path)
    code, out = db.run("backup", str(tmp_path / "good.backup"))
    assert code == 0 and "verified" in out, out
    return db, tmp_path / "good.backup"


def forge_manifest(path: Path, sqlite: bool, **changes: object) -> None:
    """A manifest that matches ``path`` as it now is (size, SHA-256, and for SQLite what the file holds if
    it can be read), so the check that refuses it is the deeper one (integrity, schema)."""
    good = json.loads(manifest_path(path).read_text()) if manifest_path(path).exists() else {
        "format": "sicollect-backup 1", "engine": "sqlite" if sqlite else "postgresql", "file": path.name,
        "created_at": "2026-01-01T00:00:00+00:00", "tables": {}, "migrations": []}
    good.update(bytes=path.stat().st_size, sha256=_sha256(path))
    if sqlite:
        try:
            good["tables"], good["migrations"] = _sqlite_facts(path)
        except Exception:  # noqa: BLE001 (a file too broken to read: keep the old figures)
            pass
    good.update(changes)
    manifest_path(path).write_text(json.dumps(good))


def foreign(db: FileDb, good: Path) -> Path:
    other = db.tmp / "other.sqlite3"
    with sqlite3.connect(other) as c:
        c.execute("create table t(x)")
    return other


def foreign_with_manifest(db: FileDb, good: Path) -> Path:
    other = foreign(db, good)
    forge_manifest(other, db.sqlite, engine="sqlite" if db.sqlite else "postgresql")
    return other


def truncated(db: FileDb, good: Path) -> Path:
    bad = db.tmp / "truncated.backup"
    data = good.read_bytes()
    bad.write_bytes(data[: len(data) // 2])
    shutil.copy(manifest_path(good), manifest_path(bad))
    return bad


def truncated_with_manifest(db: FileDb, good: Path) -> Path:
    bad = truncated(db, good)
    forge_manifest(bad, db.sqlite)
    return bad


def corrupted_pages(db: FileDb, good: Path) -> Path:
    """Pages 2 … 6 overwritten with garbage (SQLite pages are 4,096 bytes), the manifest forged to match."""
    bad = db.tmp / "corrupted.backup"
    data = bytearray(good.read_bytes())
    start = 4096 if db.sqlite else len(data) // 2
    data[start: start + 5 * 4096] = bytes((i * 37 + 11) % 251 for i in range(5 * 4096))
    bad.write_bytes(bytes(data[: len(data)]))
    shutil.copy(manifest_path(good), manifest_path(bad))
    forge_manifest(bad, db.sqlite)
    return bad


def newer_schema(db: FileDb, good: Path) -> Path:
    """The backup of a version with one more migration (core.9999_future), manifest to match."""
    bad = db.tmp / "newer.backup"
    shutil.copy(good, bad)
    shutil.copy(manifest_path(good), manifest_path(bad))
    if db.sqlite:
        with sqlite3.connect(bad) as c:
            c.execute("INSERT INTO django_migrations (app, name, applied) VALUES ('core', '9999_future', '2030-01-01')")
        forge_manifest(bad, True)
    else:
        migrations = json.loads(manifest_path(bad).read_text())["migrations"] + [["core", "9999_future"]]
        forge_manifest(bad, False, migrations=migrations)
    return bad


CASES: dict[str, tuple[Callable[[FileDb, Path], Path], str]] = {
    "foreign SQLite file": (foreign, "not a backup written by `sicollect backup`"),
    "foreign SQLite file with a forged manifest": (foreign_with_manifest, ""),
    "truncated backup": (truncated, "truncated or changed"),
    "truncated backup with a forged manifest": (truncated_with_manifest, ""),
    "backup with corrupted pages": (corrupted_pages, ""),
    "backup from a newer schema": (newer_schema, "newer version"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_file_that_is_not_a_good_backup_is_refused_and_the_database_is_untouched(
        live: tuple[FileDb, Path], case: str) -> None:
    db, good = live
    make, reason = CASES[case]
    bad = make(db, good)
    before, raw = db.snapshot(), db.file_bytes()
    code, out = db.run("restore", str(bad), "--yes")
    assert code == 2, out
    assert "the database was not changed" in out and "Traceback" not in out, out
    assert reason in out, out
    assert db.file_bytes() == raw  # SQLite: byte-identical
    unchanged(before, db.snapshot())
    refused()


def test_restore_without_yes_and_a_missing_file_are_refused(live: tuple[FileDb, Path]) -> None:
    db, good = live
    before = db.snapshot()
    for args in (("restore", str(good)), ("restore", str(db.tmp / "nope.backup"), "--yes")):
        code, out = db.run(*args)
        assert code == 2 and "Traceback" not in out, out
        refused()
    unchanged(before, db.snapshot())


def kill_points(sqlite: bool) -> list[str]:
    return ["restore:safety-copy", *(["restore:copied", "restore:before-swap"] if sqlite else
                                     ["restore:script-written"])]


@pytest.mark.parametrize("point", ["restore:safety-copy", "restore:copied", "restore:before-swap",
                                   "restore:script-written"])
def test_a_restore_killed_before_its_swap_leaves_the_database_as_it_was(
        live: tuple[FileDb, Path], point: str) -> None:
    """kill -9 (the process kills itself with SIGKILL at the named point): the live database is as before,
    and the next restore of the same backup goes through."""
    db, good = live
    if point not in kill_points(db.sqlite):
        pytest.skip(f"{point}: a point of the other engine's restore")
    f.payment(f.unit("RB0002"), date(2025, 9, 1), 100_000, "RB-2")  # after the backup
    db = FileDb(_fresh(db))  # the database now holds RB-2
    before, raw = db.snapshot(), db.file_bytes()
    code, out = db.run("restore", str(good), "--yes", SICOLLECT_FAULT=point)
    assert code == -signal.SIGKILL, out
    assert db.file_bytes() == raw
    unchanged(before, db.snapshot())
    survived()
    code, out = db.run("restore", str(good), "--yes")
    assert code == 0 and "restored from" in out, out


def _fresh(db: FileDb) -> Path:
    sub = db.tmp / "again"
    sub.mkdir(exist_ok=True)
    return sub


def test_a_real_backup_restores_and_check_changes_nothing(live: tuple[FileDb, Path]) -> None:
    """What held: backup → restore of a real backup. A payment made after the backup is gone after the
    restore, the database as it was is kept as a safety copy named in the output (itself restorable)."""
    db, good = live
    backed_up = db.snapshot()
    f.payment(f.unit("RB0003"), date(2025, 9, 2), 200_000, "RB-3")
    db2 = FileDb(_fresh(db))  # the database now holds RB-3
    before = db2.snapshot()
    code, out = db2.run("restore", "--check", str(good))
    assert code == 0 and "matches its manifest" in out and "nothing was changed" in out, out
    unchanged(before, db2.snapshot())
    code, out = db2.run("restore", str(good), "--yes")
    assert code == 0, out
    safety = out.rsplit("kept in ", 1)[1].strip()
    assert Path(safety).is_file() and manifest_path(Path(safety)).is_file()
    after = db2.snapshot()
    differs = {t for t in set(after) | set(backed_up) if after.get(t) != backed_up.get(t)}
    assert differs == {"exchange_auditevent"}  # the restore's own audit row; RB-3 is gone
    assert after["contributions_payment"][0] == 1


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _unit_codes(port: int, token: str) -> list[str]:
    import urllib.request

    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/units?q=RB",
                                 headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        body = json.loads(resp.read())
    return [u["code"] for u in (body["items"] if isinstance(body, dict) else body)]


def test_a_running_server_serves_the_restored_database_at_its_next_request(tmp_path: Path) -> None:
    """A real server process (``sicollect runserver``, its own connections) on the live SQLite file: it lists
    unit RB0001; a unit RB0002 is added after the backup and the server lists both; ``sicollect restore``
    (another process) swaps the backup in; the server's very next request lists RB0001 only — the data the
    restore brought back, not the file it replaced. PostgreSQL restores into the same database (nothing to
    reopen)."""
    import subprocess
    import sys
    import time
    import urllib.error

    from django.contrib.auth.models import User
    from django.db import connection

    from sicollect.api.models import ApiToken

    if connection.vendor != "sqlite":
        pytest.skip("a restore swaps the file only on SQLite; PostgreSQL restores into the same database")
    f.unit("RB0001")
    _, token = ApiToken.issue(User.objects.create_superuser("restorer", password="x"))
    db = FileDb(tmp_path)
    code, out = db.run("backup", str(tmp_path / "good.backup"))
    assert code == 0 and "verified" in out, out
    assert db.path is not None
    with sqlite3.connect(db.path) as live:  # a unit written after the backup
        cols = [r[1] for r in live.execute("PRAGMA table_info(registry_unit)") if r[1] != "id"]
        picked = ", ".join("'RB0002'" if c == "code" else c for c in cols)
        live.execute(f"INSERT INTO registry_unit ({', '.join(cols)}) SELECT {picked} FROM registry_unit "  # noqa: S608
                     "WHERE code = 'RB0001'")
    port = _free_port()
    server = db.start("runserver", f"127.0.0.1:{port}", "--noreload", "--insecure")
    try:
        for _ in range(300):
            try:
                codes = _unit_codes(port, token)
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.1)
        else:
            pytest.fail("the server did not start")
        assert codes == ["RB0001", "RB0002"]
        restore = subprocess.run([sys.executable, "-m", "sicollect.cli", "restore", str(tmp_path / "good.backup"),
                                  "--yes"], env=db.env(), capture_output=True, text=True, timeout=300)
        assert restore.returncode == 0, restore.stdout + restore.stderr
        assert _unit_codes(port, token) == ["RB0001"]
    finally:
        server.terminate()
        server.communicate(timeout=30)
    survived()
