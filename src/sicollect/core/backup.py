"""Backups of the whole database: SQLite through its online backup API, PostgreSQL through
``pg_dump``/``pg_restore`` (custom format). A restore refuses to run while a close holds its lock."""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
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


def restore(path: Path) -> None:
    """Replace the database's content with the backup at ``path``."""
    from sicollect.close.models import CloseLock

    if not path.is_file():
        raise BackupError(f"{path}: no such file")
    if CloseLock.objects.exists():
        raise BackupError("a close is running (its lock is held): restore refused")
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
        args, env = _pg_env()
        connection.close()
        run = subprocess.run([_pg_tool("pg_restore"), *args, "--clean", "--if-exists", "--no-owner", "--single-transaction",
                              "-d", connection.settings_dict["NAME"], str(path)], env=env, capture_output=True, text=True)
        if run.returncode:
            raise BackupError(f"pg_restore failed: {run.stderr.strip()}")
    else:
        raise BackupError(f"no restore for {connection.vendor}")
