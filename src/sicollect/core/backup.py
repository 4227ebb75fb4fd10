"""Backups of the whole database: SQLite through its online backup API, PostgreSQL through
``pg_dump``/``pg_restore`` (custom format), each with a manifest (``FILE.manifest.json``: engine, size,
SHA-256, row counts per table, applied migrations) written once the backup is verified.

A restore cannot destroy: it proves the file is a sicollect backup before touching anything, keeps a
dated safety copy of the database it replaces, and swaps the checked copy in atomically (see
:func:`restore`). It refuses to run while a close holds its lock."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from glob import glob
from pathlib import Path
from typing import Any

from django.db import connection

from sicollect.core.faults import fault_point


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


MANIFEST_FORMAT = "sicollect-backup 1"


def manifest_path(path: Path) -> Path:
    """``FILE.manifest.json`` beside the backup ``FILE``."""
    return path.with_name(path.name + ".manifest.json")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _stamp() -> str:
    return datetime.now(tz=UTC).strftime("%Y%m%dT%H%M%S%fZ")


def _sqlite_facts(path: Path) -> tuple[dict[str, int], list[list[str]]]:
    """Row counts per table and the applied migrations of the SQLite file ``path``, after
    ``PRAGMA integrity_check``; raises :class:`BackupError` naming what is wrong."""
    with open(path, "rb") as fh:
        if fh.read(16) != b"SQLite format 3\x00":
            raise BackupError(f"{path}: not an SQLite database")
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise BackupError(f"{path}: cannot open: {exc}") from exc
    try:
        check = [r[0] for r in db.execute("PRAGMA integrity_check")]
        if check != ["ok"]:
            raise BackupError(f"{path}: integrity check failed: {'; '.join(check[:3])}")
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                           "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        if "django_migrations" not in tables:
            raise BackupError(f"{path}: not a sicollect backup (no django_migrations table)")
        counts = {t: db.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}  # noqa: S608
        migrations = [list(r) for r in db.execute("SELECT app, name FROM django_migrations ORDER BY app, name")]
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path}: not a readable SQLite database: {exc}") from exc
    finally:
        db.close()
    return counts, migrations


def _live_facts(cur: object) -> tuple[dict[str, int], list[list[str]]]:
    """Row counts per table and applied migrations of this database, through ``cur``."""
    tables = sorted(connection.introspection.table_names(cur))  # type: ignore[arg-type]
    q = connection.ops.quote_name
    counts = {}
    for t in tables:
        cur.execute(f"SELECT count(*) FROM {q(t)}")  # type: ignore[attr-defined]  # noqa: S608
        counts[t] = cur.fetchone()[0]  # type: ignore[attr-defined]
    cur.execute("SELECT app, name FROM django_migrations ORDER BY app, name")  # type: ignore[attr-defined]
    return counts, [list(r) for r in cur.fetchall()]  # type: ignore[attr-defined]


def backup(path: Path) -> Path:
    """Write a consistent copy of the database to ``path`` and its manifest ``path.manifest.json`` (engine,
    size, SHA-256, row counts per table, applied migrations), then verify what was written: SQLite
    ``PRAGMA integrity_check`` and the counts read back from the file; PostgreSQL ``pg_restore --list``,
    with the counts taken in the very snapshot ``pg_dump`` exported. The file appears under its name only
    once verified (written as ``path.partial`` first)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        target = sqlite3.connect(partial)
        try:
            connection.connection.backup(target)
            target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            target.close()
        counts, migrations = _sqlite_facts(partial)
    elif connection.vendor == "postgresql":
        args, env = _pg_env()
        from django.db import transaction

        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cur.execute("SELECT pg_export_snapshot()")
            snapshot = cur.fetchone()[0]
            run = subprocess.run([_pg_tool("pg_dump"), *args, "-Fc", f"--snapshot={snapshot}", "-f", str(partial),
                                  connection.settings_dict["NAME"]], env=env, capture_output=True, text=True)
            if run.returncode:
                partial.unlink(missing_ok=True)
                raise BackupError(f"pg_dump failed: {run.stderr.strip()}")
            counts, migrations = _live_facts(cur)
        check = subprocess.run([_pg_tool("pg_restore"), "--list", str(partial)], env=env, capture_output=True, text=True)
        if check.returncode:
            partial.unlink(missing_ok=True)
            raise BackupError(f"the backup written does not read back: {check.stderr.strip()}")
    else:
        raise BackupError(f"no backup for {connection.vendor}")
    manifest = {"format": MANIFEST_FORMAT, "engine": connection.vendor, "file": path.name,
                "created_at": datetime.now(tz=UTC).isoformat(), "bytes": partial.stat().st_size,
                "sha256": _sha256(partial), "tables": counts, "migrations": migrations}
    os.replace(partial, path)
    tmp_manifest = manifest_path(path).with_suffix(".partial")
    tmp_manifest.write_text(json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(tmp_manifest, manifest_path(path))
    return path


@dataclass
class RestorePlan:
    """What a restore of ``path`` would do (``restore --check``)."""

    path: Path
    engine: str
    manifest: dict[str, Any]
    to_apply: list[str] = field(default_factory=list)  # migrations this code has that the backup lacks
    live_counts: dict[str, int] = field(default_factory=dict)

    def lines(self) -> list[str]:
        m = self.manifest
        total = sum(m["tables"].values())
        live = sum(self.live_counts.values())
        out = [f"{self.path}: a sicollect backup ({self.engine}) of {m['created_at']}, {m['bytes']:,} bytes, "
               f"SHA-256 {m['sha256'][:16]}… matches its manifest",
               f"  {len(m['tables'])} tables, {total:,} rows (the database now: {live:,} rows)"]
        changed = sorted(t for t in set(m["tables"]) | set(self.live_counts)
                         if m["tables"].get(t) != self.live_counts.get(t))
        for t in changed[:20]:
            out.append(f"  {t}: {self.live_counts.get(t, 0):,} → {m['tables'].get(t, 0):,}")
        if len(changed) > 20:
            out.append(f"  … and {len(changed) - 20} more tables change")
        if self.to_apply:
            out.append(f"  schema older than this code: run `sicollect migrate` after ({len(self.to_apply)} "
                       f"migration(s), e.g. {self.to_apply[0]})")
        return out


def inspect(path: Path) -> RestorePlan:
    """Prove that ``path`` is a sicollect backup this code can restore, without touching the database:
    its manifest (format, engine, size, SHA-256), then SQLite ``PRAGMA integrity_check`` and the row counts
    and migrations read from the file against the manifest, or PostgreSQL ``pg_restore --list``; and no
    migration unknown to this code (a backup from a newer version). Raises :class:`BackupError`."""
    if not path.is_file():
        raise BackupError(f"{path}: no such file")
    mpath = manifest_path(path)
    if not mpath.is_file():
        raise BackupError(f"{path}: no manifest {mpath.name} beside it: not a backup written by `sicollect backup`")
    try:
        manifest = json.loads(mpath.read_text(encoding="utf-8"))
        assert isinstance(manifest, dict) and manifest.get("format") == MANIFEST_FORMAT
        assert isinstance(manifest["tables"], dict) and isinstance(manifest["migrations"], list)
        assert isinstance(manifest["sha256"], str) and isinstance(manifest["bytes"], int)
    except (ValueError, AssertionError, KeyError, UnicodeDecodeError) as exc:
        raise BackupError(f"{mpath}: not a sicollect backup manifest") from exc
    if manifest.get("engine") != connection.vendor:
        raise BackupError(f"{path}: a {manifest.get('engine')} backup cannot be restored into {connection.vendor}")
    size = path.stat().st_size
    if size != manifest["bytes"]:
        raise BackupError(f"{path}: {size:,} bytes, the manifest says {manifest['bytes']:,} (truncated or changed)")
    if _sha256(path) != manifest["sha256"]:
        raise BackupError(f"{path}: SHA-256 differs from the manifest's (the file was changed or damaged)")
    if connection.vendor == "sqlite":
        counts, migrations = _sqlite_facts(path)
        if counts != manifest["tables"]:
            bad = sorted(t for t in set(counts) | set(manifest["tables"]) if counts.get(t) != manifest["tables"].get(t))
            raise BackupError(f"{path}: row counts differ from the manifest's in {', '.join(bad[:5])}")
        if migrations != manifest["migrations"]:
            raise BackupError(f"{path}: migrations differ from the manifest's")
    elif connection.vendor == "postgresql":
        args, env = _pg_env()
        check = subprocess.run([_pg_tool("pg_restore"), "--list", str(path)], env=env, capture_output=True, text=True)
        if check.returncode:
            raise BackupError(f"{path}: pg_restore --list failed: {check.stderr.strip()}")
        migrations = manifest["migrations"]
    else:
        raise BackupError(f"no restore for {connection.vendor}")
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    known = set(loader.disk_migrations)
    applied = {(a, n) for a, n in migrations}
    unknown = sorted(applied - known)
    if unknown:
        raise BackupError(f"{path}: made by a newer version (migration {unknown[0][0]}.{unknown[0][1]} is unknown "
                          "to this code): upgrade sicollect first")
    to_apply = sorted(f"{a}.{n}" for a, n in known - applied)
    with connection.cursor() as cur:
        live_counts, _ = _live_facts(cur)
    return RestorePlan(path, connection.vendor, manifest, to_apply, live_counts)


def sqlite_file(conn: Any = None) -> Path | None:
    """The file of a SQLite connection (default: the live one), or None for an in-memory database (the
    test suite's) or another engine."""
    conn = conn or connection
    if conn.vendor != "sqlite":
        return None
    name = str(conn.settings_dict.get("NAME") or "")
    if not name or conn.is_in_memory_db() or "mode=memory" in name or name.startswith("file:memorydb"):
        return None
    return Path(name)



def safety_dir() -> Path:
    from django.conf import settings

    return Path(settings.VAR_DIR) / "safety"


_RESTORE_GUARDS: list[Callable[[], str]] = []


def refuse_restore_when(guard: Callable[[], str]) -> None:
    """Register ``guard``: before a restore touches anything it is called, and a non-empty answer (why
    not now) refuses the restore. The close registers one (a close holds its lock) from its app config,
    so this module needs not know the close."""
    if guard not in _RESTORE_GUARDS:
        _RESTORE_GUARDS.append(guard)


def restore(path: Path, actor: str = "") -> tuple[RestorePlan, Path]:
    """Replace the database with the backup at ``path``; returns the plan and the safety copy of the
    database as it was (itself a backup with a manifest, so it can be restored).

    1. :func:`inspect` proves the file is a sicollect backup this code can restore (nothing touched yet);
    2. the live database is backed up to ``SICOLLECT_VAR/safety/before-restore-…`` (named in the output);
    3. SQLite: the backup is copied to a new file beside the live one, checked again (integrity, counts),
       the audit row ``restore`` is written into it, and it replaces the live file in one ``rename``;
       PostgreSQL: ``pg_restore`` runs in one transaction that also checks every table's row count against
       the manifest before it commits.

    Any failure before the swap (or the commit) leaves the live database as it was.
    """
    plan = inspect(path)
    for guard in _RESTORE_GUARDS:
        refusal = guard()
        if refusal:
            raise BackupError(f"{refusal}: restore refused")
    replaced = _last_event()
    stamp = _stamp()
    safety = backup(safety_dir() / f"before-restore-{stamp}.{'sqlite3' if connection.vendor == 'sqlite' else 'dump'}")
    fault_point("restore:safety-copy")
    if connection.vendor == "sqlite":
        live = sqlite_file()
        if live is None:  # in-memory (tests): checked above; copy into the connection
            source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            try:
                connection.ensure_connection()
                source.backup(connection.connection)
            finally:
                source.close()
            _audit_restore(path, actor, replaced, safety)
            return plan, safety
        _sqlite_swap(path, live, plan, actor, replaced, safety, stamp)
    else:
        _pg_restore(path, plan.manifest["tables"])
        fault_point("restore:restored")
        _audit_restore(path, actor, replaced, safety)
    return plan, safety


def _sqlite_swap(path: Path, live: Path, plan: RestorePlan, actor: str, replaced: dict[str, object] | None,
                 safety: Path, stamp: str) -> None:
    from django.db import connections

    tmp = live.with_name(f"{live.name}.restore-{stamp}")
    try:
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        target = sqlite3.connect(tmp)
        try:
            source.backup(target)
            target.execute("PRAGMA journal_mode=DELETE")
        finally:
            target.close()
            source.close()
        fault_point("restore:copied")
        counts, _ = _sqlite_facts(tmp)
        if counts != plan.manifest["tables"]:
            raise BackupError(f"{tmp}: the copy's row counts differ from the manifest's: nothing restored")
        alias = "sicollect_restore_target"
        connections.settings[alias] = {**connection.settings_dict, "NAME": str(tmp)}
        try:
            _audit_restore(path, actor, replaced, safety, using=alias)
            connections[alias].close()
        finally:
            del connections[alias]
            connections.settings.pop(alias, None)
        fault_point("restore:before-swap")
        connection.close()
        with sqlite3.connect(live) as db:  # fold the live write-ahead log in; refuse while another writer has it
            busy = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            if busy and busy[0]:
                raise BackupError(f"{live}: another process is writing to the database: stop it and retry")
        for suffix in ("-wal", "-shm"):
            extra = tmp.with_name(tmp.name + suffix)
            if extra.exists():
                extra.unlink()
        os.replace(tmp, live)  # the one step that changes the live database
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _pg_restore(path: Path, counts: dict[str, int] | None = None) -> None:
    """``pg_restore --clean`` into this database, all of it or nothing, partitioned tables included.

    ``pg_restore --clean`` alone cannot replace a partitioned table (the ledger, see
    contributions/partitions.py): it drops each partition's primary key before the table, which PostgreSQL
    refuses ("cannot drop inherited constraint"). So the partitioned tables are dropped first, and the
    clean-and-restore script that ``pg_restore`` writes (to a file, whole, before psql starts) runs after that in
    the same transaction, through ``psql --single-transaction``: its drops of what is already gone are no-ops
    (``--if-exists``). The script ends with a check of every table's row count against the manifest, so a
    restore that does not match rolls back whole.
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
    with tempfile.TemporaryDirectory(prefix="sicollect-restore-") as tmp:
        # The whole script is written first and psql reads it from the file: if this process dies while psql
        # runs, psql still reaches the end and commits the whole restore, or rolls it back; it never sees an
        # early end of its input (which it would commit, half restored).
        script = Path(tmp) / "restore.sql"
        dump = subprocess.run([_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "-f", str(script),
                               str(path)], env=env, capture_output=True, text=True)
        if dump.returncode:
            raise BackupError(f"pg_restore failed: {dump.stderr.strip()}")
        if counts:  # before the commit: every table holds the rows the manifest says
            with open(script, "a", encoding="utf-8") as fh:
                fh.write(_count_check_sql(counts))
        fault_point("restore:script-written")
        load = subprocess.run([_pg_tool("psql"), *args, "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction",
                               "-c", drops, "-f", str(script), "-d", connection.settings_dict["NAME"]],
                              env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              text=True)
        if load.returncode:
            raise BackupError(f"pg_restore failed (rolled back, nothing restored): {load.stderr.strip()[-2000:]}")


def _count_check_sql(counts: dict[str, int]) -> str:
    checks = "".join(
        f"IF (SELECT count(*) FROM {connection.ops.quote_name(t)}) <> {int(n)} THEN "
        f"RAISE EXCEPTION 'restored table % holds a different row count than the manifest', {_sql_text(t)}; END IF; "
        for t, n in sorted(counts.items()))
    return f"\nRESET search_path;\nDO $$ BEGIN {checks}END $$;\n"  # pg_restore's script empties search_path


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _last_event() -> dict[str, object] | None:
    """The newest audit row of the database about to be replaced (what the restore throws away ends there)."""
    from .models import AuditEvent

    last = AuditEvent.objects.order_by("-created_at", "-id").first()
    if last is None:
        return None
    return {"id": last.pk, "action": last.action, "actor": last.actor, "created_at": last.created_at.isoformat()}


def _audit_restore(path: Path, actor: str, replaced: dict[str, object] | None, safety: Path | None = None,
                   using: str = "default") -> None:
    from django.utils import timezone

    from . import audit

    stat = path.stat()
    modified = timezone.localtime(datetime.fromtimestamp(stat.st_mtime, tz=UTC))
    body = {"before": {"last_event": replaced, "safety_copy": str(safety) if safety else None},
            "after": {"file": str(path.resolve()), "bytes": stat.st_size, "sha256": _sha256(path),
                      "file_modified": modified.isoformat(), "engine": connection.vendor},
            "source": str(path.resolve())}
    audit.record("restore", actor or "unknown", "backup", path.name, using=using, **body)
