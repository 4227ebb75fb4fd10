"""Backups of the whole database: SQLite through its online backup API, PostgreSQL through
``pg_dump``/``pg_restore`` (custom format). A restore refuses to run while a close holds its lock."""
from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import tempfile
from datetime import UTC, datetime
from glob import glob
from pathlib import Path

from django.db import connection


class BackupError(RuntimeError):
    pass


def _pg_tool(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    if not found:
        raise BackupError(f"{name} not found: install the Debian package postgresql-client")
    return found


def _pg_env() -> tuple[list[str], dict[str, str]]:
    s = connection.settings_dict
    args = ["-h", s.get("HOST") or "localhost", "-p", str(s.get("PORT") or 5432), "-U", s.get("USER") or "postgres"]
    env = dict(os.environ)
    if s.get("PASSWORD"):
        env["PGPASSWORD"] = s["PASSWORD"]
    return args, env


def backup(path: Path) -> Path:
    """Write a consistent copy of the database to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        target = sqlite3.connect(path)
        try:
            connection.connection.backup(target)
        finally:
            target.close()
    elif connection.vendor == "postgresql":
        args, env = _pg_env()
        run = subprocess.run([_pg_tool("pg_dump"), *args, "-Fc", "-f", str(path), connection.settings_dict["NAME"]],
                             env=env, capture_output=True, text=True)
        if run.returncode:
            raise BackupError(f"pg_dump failed: {run.stderr.strip()}")
    else:
        raise BackupError(f"no backup for {connection.vendor}")
    return path


def restore(path: Path, actor: str = "") -> None:
    """Replace the database's content with the backup at ``path``.

    Then writes an audit row ``restore`` into the restored database (so it survives the restore):
    who (``actor``), the file's path, size, modification time and SHA-256, and when.
    """
    from sicollect.close.models import CloseLock

    if not path.is_file():
        raise BackupError(f"{path}: no such file")
    if CloseLock.objects.exists():
        raise BackupError("a close is running (its lock is held): restore refused")
    replaced = _last_event()
    if connection.vendor == "sqlite":
        with open(path, "rb") as fh:
            if fh.read(16) != b"SQLite format 3\x00":
                raise BackupError(f"{path}: not an SQLite backup")
        source = sqlite3.connect(path)
        try:
            connection.ensure_connection()
            source.backup(connection.connection)
        finally:
            source.close()
    elif connection.vendor == "postgresql":
        _pg_restore(path)
    else:
        raise BackupError(f"no restore for {connection.vendor}")
    _audit_restore(path, actor, replaced)


def _pg_restore(path: Path) -> None:
    """``pg_restore --clean`` into this database, all of it or nothing, partitioned tables included.

    ``pg_restore --clean`` alone cannot replace a partitioned table (the ledger, see
    contributions/partitions.py): it drops each partition's primary key before the table, which PostgreSQL
    refuses ("cannot drop inherited constraint"). So the partitioned tables are dropped first, and the
    clean-and-restore script that ``pg_restore`` writes runs after that in the same transaction, through
    ``psql --single-transaction``: its drops of what is already gone are no-ops (``--if-exists``). If
    ``pg_restore`` fails midway, a failing statement is sent last, so the transaction rolls back whole.
    """
    args, env = _pg_env()
    check = subprocess.run([_pg_tool("pg_restore"), "--list", str(path)], env=env, capture_output=True, text=True)
    if check.returncode:
        raise BackupError(f"pg_restore failed: {check.stderr.strip()}")
    with connection.cursor() as cur:
        cur.execute("SELECT format('DROP TABLE IF EXISTS %I.%I CASCADE;', n.nspname, c.relname) FROM pg_class c "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'p' AND NOT c.relispartition "
                    "AND n.nspname = current_schema()")
        drops = " ".join(sql for (sql,) in cur.fetchall()) or "SELECT 1;"
    connection.close()
    with tempfile.TemporaryFile() as dump_err, tempfile.TemporaryFile() as load_err:
        dump = subprocess.Popen([_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "-f", "-", str(path)],
                                env=env, stdout=subprocess.PIPE, stderr=dump_err)
        load = subprocess.Popen([_pg_tool("psql"), *args, "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction",
                                 "-c", drops, "-f", "-", "-d", connection.settings_dict["NAME"]],
                                env=env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=load_err)
        assert dump.stdout is not None and load.stdin is not None
        try:
            shutil.copyfileobj(dump.stdout, load.stdin, 1 << 20)
            if dump.wait():
                load.stdin.write(b"\\.\n\nDO $$ BEGIN RAISE EXCEPTION 'pg_restore failed: nothing restored'; END $$;\n")
            load.stdin.close()
        except BrokenPipeError:  # psql stopped at an error: it rolled back
            dump.kill()
            dump.wait()
            try:
                load.stdin.close()
            except BrokenPipeError:
                pass
        load.wait()
        if dump.returncode or load.returncode:
            dump_err.seek(0)
            load_err.seek(0)
            errors = (dump_err.read() + load_err.read()).decode(errors="replace").strip()
            raise BackupError(f"pg_restore failed: {errors}")


def _last_event() -> dict[str, object] | None:
    """The newest audit row of the database about to be replaced (what the restore throws away ends there)."""
    from sicollect.exchange.models import AuditEvent

    last = AuditEvent.objects.order_by("-created_at", "-id").first()
    if last is None:
        return None
    return {"id": last.pk, "action": last.action, "actor": last.actor, "created_at": last.created_at.isoformat()}


def _audit_restore(path: Path, actor: str, replaced: dict[str, object] | None) -> None:
    from django.utils import timezone

    from sicollect.exchange.models import AuditEvent

    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    stat = path.stat()
    modified = timezone.localtime(datetime.fromtimestamp(stat.st_mtime, tz=UTC))
    AuditEvent.record("restore", actor or "unknown", "backup", path.name, source=str(path.resolve()),
                      before={"last_event": replaced},
                      after={"file": str(path.resolve()), "bytes": stat.st_size, "sha256": digest.hexdigest(),
                             "file_modified": modified.isoformat(), "engine": connection.vendor})
