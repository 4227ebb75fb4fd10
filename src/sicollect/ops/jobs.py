"""Scheduled jobs: what the systemd timers of ``deploy/`` run, as ``sicollect job NAME``.

* ``close``: the monthly close of the previous month, from the day of the month the office chose
  (``SICOLLECT_CLOSE_DAY``, default 5). The timer fires every day; before that day, or once the month
  is closed, the job says so and does nothing, so a day the server was down is caught up the next day.
* ``bankdrop``: every bank statement in the drop folder (``SICOLLECT_BANK_DROP``, default
  ``$SICOLLECT_VAR/bankdrop``) is imported, all or nothing per file, then moved to ``done/`` or
  ``failed/`` beside a ``NAME.report.txt`` saying what it did or every error (``file:line: field: reason``).
* ``backup``: ``core.backup.backup`` into ``SICOLLECT_BACKUP_DIR`` (default ``$SICOLLECT_VAR/backups``),
  then backups older than ``SICOLLECT_BACKUP_KEEP_DAYS`` (default 14) removed; the newest always stays.
* ``arrears``: the daily arrears run: cases synced from the ledger and the next ladder steps proposed
  (officers confirm them on ``/arrears/``); with ``--officer`` the whole bulk run (confirm, notices).

Each run writes one ``AuditEvent`` (``action="job"``, ``object_id`` the job, ``detail["after"]``:
``ok``, the one-line ``result``, seconds and the job's figures) and returns that line. A failed run
is recorded too (its own work rolled back) and shows on the managers' dashboard until the job
succeeds again (:func:`latest_runs`).
"""
from __future__ import annotations

import logging
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from sicollect.arrears import bulk
from sicollect.arrears.cases import sync
from sicollect.arrears.ladder import propose
from sicollect.close import service
from sicollect.close.management.commands.close import ENGINES
from sicollect.contributions.models import ClosedMonth
from sicollect.core import audit
from sicollect.core.audit import cli_actor
from sicollect.core.backup import BackupError, backup, manifest_path
from sicollect.core.models import AuditEvent
from sicollect.core.months import Month
from sicollect.exchange.bank import import_statement
from sicollect.exchange.rows import ImportErrors
from sicollect.registry.models import Unit

logger = logging.getLogger("sicollect.jobs")

JOB_NAMES = ("close", "bankdrop", "backup", "arrears")


class JobFailed(Exception):
    """A job that ran but did not do its work; the message is its one-line result."""


@dataclass
class JobResult:
    name: str
    ok: bool
    line: str
    detail: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0


def _env_int(name: str, default: int) -> int:
    text = os.environ.get(name, "")
    try:
        return int(text) if text else default
    except ValueError as exc:
        raise JobFailed(f"{name}={text!r}: not a whole number") from exc


def _var() -> Path:
    return Path(settings.VAR_DIR)


# --------------------------------------------------------------------------- close


def close_job(today: date | None = None, day: int | None = None, engine: str = "sql") -> tuple[str, dict[str, Any]]:
    today = today or timezone.localdate()
    day = day if day is not None else _env_int("SICOLLECT_CLOSE_DAY", 5)
    if not 1 <= day <= 28:
        raise JobFailed(f"close day {day}: choose a day from 1 to 28 (SICOLLECT_CLOSE_DAY)")
    target = Month.of(today) - 1
    closed = ClosedMonth.last()
    if closed is not None and closed >= target:
        return f"nothing to do: closed through {closed}", {"closed_through": str(closed), "closed": []}
    if not Unit.objects.exists():
        return "nothing to close: no unit in the database yet", {"closed_through": None, "closed": []}
    if today.day < day:
        return (f"not yet: {target} is closed from day {day} of the month (today {today:%d/%m/%Y})",
                {"closed_through": str(closed) if closed else None, "closed": []})
    try:
        summary = service.close(target, engine=ENGINES[engine](), actor=cli_actor())
    except service.CloseError as exc:
        raise JobFailed(f"close of {target} refused: {exc}") from exc
    return (f"closed {summary.months[0]} … {summary.months[-1]}: {summary.entries:,} ledger rows, "
            f"{summary.units:,} units", {"closed_through": str(target), "closed": summary.months,
                                         "entries": summary.entries})


# --------------------------------------------------------------------------- bank statements from a drop folder


def _free_name(folder: Path, name: str) -> Path:
    """``folder/name``, or ``name`` with the time before its suffix when a file of that name is there."""
    target = folder / name
    if not target.exists():
        return target
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    p = Path(name)
    return folder / f"{p.stem}.{stamp}{p.suffix}"


def bankdrop_job(folder: Path | None = None) -> tuple[str, dict[str, Any]]:
    folder = Path(folder or os.environ.get("SICOLLECT_BANK_DROP") or _var() / "bankdrop")
    if not folder.is_dir():
        raise JobFailed(f"{folder}: no such folder (SICOLLECT_BANK_DROP)")
    done_dir, failed_dir = folder / "done", folder / "failed"
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    done: list[str] = []
    failed: dict[str, str] = {}
    totals = {"entries": 0, "matched": 0, "suspense": 0, "already": 0}
    for path in files:
        try:
            report = import_statement(path, actor=cli_actor())
        except ImportErrors as exc:
            text = "\n".join(str(e) for e in exc.errors) + f"\n{len(exc.errors)} error(s); nothing was imported\n"
            reason = f"{len(exc.errors)} error(s)"
        except (ValueError, OSError, UnicodeError) as exc:  # not a statement at all: unknown format, unreadable
            text, reason = f"{path.name}: {exc}\nnothing was imported\n", str(exc)
        else:
            target = _free_name(done_dir, path.name)
            done_dir.mkdir(exist_ok=True)
            shutil.move(str(path), target)
            target.with_name(target.name + ".report.txt").write_text(f"{path.name}: {report}\n", encoding="utf-8")
            done.append(path.name)
            for key in totals:
                totals[key] += getattr(report, key)
            continue
        target = _free_name(failed_dir, path.name)
        failed_dir.mkdir(exist_ok=True)
        shutil.move(str(path), target)
        target.with_name(target.name + ".report.txt").write_text(text, encoding="utf-8")
        failed[path.name] = reason
    detail = {"folder": str(folder), "done": done, "failed": failed, **totals}
    line = (f"{len(files)} file(s): {len(done)} done, {len(failed)} failed; {totals['entries']} entries, "
            f"{totals['matched']} matched, {totals['suspense']} to suspense, {totals['already']} already imported")
    if failed:
        raise JobFailed(line + " — failed: " + ", ".join(f"{k} ({v})" for k, v in failed.items()), detail)
    return line, detail


# --------------------------------------------------------------------------- backups kept N days


BACKUP_GLOB = "sicollect-*.backup"


def backup_job(folder: Path | None = None, keep_days: int | None = None,
               now: datetime | None = None) -> tuple[str, dict[str, Any]]:
    folder = Path(folder or os.environ.get("SICOLLECT_BACKUP_DIR") or _var() / "backups")
    keep_days = keep_days if keep_days is not None else _env_int("SICOLLECT_BACKUP_KEEP_DAYS", 14)
    if keep_days < 1:
        raise JobFailed(f"keep {keep_days} day(s): keep at least 1 (SICOLLECT_BACKUP_KEEP_DAYS)")
    now = now or datetime.now()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"sicollect-{now:%Y%m%d-%H%M%S}.backup"
    try:
        # the public function of core/backup.py: SQLite backup API or pg_dump -Fc, verified, and its manifest
        # (FILE.manifest.json); the file appears under its name only once verified
        backup(path)
    except BackupError as exc:
        raise JobFailed(f"backup failed: {exc}") from exc
    size = path.stat().st_size
    cutoff = (now - timedelta(days=keep_days)).timestamp()
    removed = []
    for old in sorted(folder.glob(BACKUP_GLOB)):
        if old != path and old.stat().st_mtime < cutoff:
            old.unlink()
            manifest_path(old).unlink(missing_ok=True)
            removed.append(old.name)
    kept = len(list(folder.glob(BACKUP_GLOB)))
    return (f"{path} ({size:,} bytes); {len(removed)} older than {keep_days} days removed, {kept} kept",
            {"file": str(path), "bytes": size, "removed": removed, "kept": kept, "keep_days": keep_days})


# --------------------------------------------------------------------------- arrears


def arrears_job(as_of: date | None = None, officer: str = "", out_dir: Path | None = None) -> tuple[str, dict[str, Any]]:
    as_of = as_of or timezone.localdate()
    if officer:
        s = bulk.run(as_of, officer, out_dir, progress=False)
        return (f"as of {as_of:%d/%m/%Y}: {s.cases.get('open_cases', 0)} open case(s), {s.proposed} step(s) proposed, "
                f"{s.confirmed} confirmed by {officer}, {s.notices_issued} notice(s) issued",
                {"as_of": as_of.isoformat(), "cases": s.cases, "proposed": s.proposed, "confirmed": s.confirmed,
                 "notices": s.notices_issued, "files": s.files})
    cases = sync(as_of).as_dict()
    proposed = propose(as_of)
    return (f"as of {as_of:%d/%m/%Y}: {cases.get('open_cases', 0)} open case(s) ({cases.get('opened', 0)} opened, "
            f"{cases.get('closed_paid', 0)} closed paid), {proposed.proposed} step(s) proposed for officers to confirm",
            {"as_of": as_of.isoformat(), "cases": cases, "proposed": proposed.proposed})


JOBS: dict[str, Callable[..., tuple[str, dict[str, Any]]]] = {
    "close": close_job, "bankdrop": bankdrop_job, "backup": backup_job, "arrears": arrears_job,
}


# --------------------------------------------------------------------------- running and recording


def run_job(name: str, actor: str = "", **options: Any) -> JobResult:
    """Run job ``name``, write its audit row and return its result; never raises for the job's own failure.

    Any error of the job is caught here on purpose: a scheduled job has no one watching it, so a failure
    must become an audit row (and the dashboard card) rather than only a traceback in the journal.
    """
    t0 = time.perf_counter()
    detail: dict[str, Any] = {}
    try:
        line, detail = JOBS[name](**options)
        ok = True
    except JobFailed as exc:
        ok, line = False, str(exc.args[0])
        detail = exc.args[1] if len(exc.args) > 1 else {}
    except Exception as exc:  # noqa: BLE001 (recorded, logged with its traceback, and the exit code is 1)
        ok, line = False, f"{type(exc).__name__}: {exc}"
        logger.exception("job %s failed", name)
    seconds = round(time.perf_counter() - t0, 2)
    result = JobResult(name, ok, line, detail, seconds)
    audit.record("job", actor or cli_actor(), "job", name, source=f"sicollect job {name}",
                      after={"ok": ok, "result": line, "seconds": seconds, **detail})
    logger.log(logging.INFO if ok else logging.ERROR, "job %s %s: %s", name, "ok" if ok else "FAILED", line,
               extra={"job": name, "ok": ok, "seconds": seconds})
    return result


@dataclass
class LastRun:
    name: str
    ok: bool
    result: str
    at: datetime
    failed_since: datetime | None = None  # the first of the failed runs in a row (when the last failed)


def latest_runs() -> dict[str, LastRun]:
    """The last run of each job that has run (one query a job, on the audit trail's index)."""
    out: dict[str, LastRun] = {}
    for name in JOB_NAMES:
        rows = (AuditEvent.objects.filter(object_type="job", object_id=name, action="job")
                .order_by("-created_at", "-id").values_list("created_at", "detail")[:20])
        rows = list(rows)
        if not rows:
            continue
        at, detail = rows[0]
        after = (detail or {}).get("after") or {}
        run = LastRun(name, bool(after.get("ok")), str(after.get("result", "")), at)
        if not run.ok:
            run.failed_since = at
            for older_at, older in rows[1:]:
                if ((older or {}).get("after") or {}).get("ok"):
                    break
                run.failed_since = older_at
        out[name] = run
    return out


def failed_jobs() -> list[LastRun]:
    return [run for run in latest_runs().values() if not run.ok]


def last_success(name: str) -> datetime | None:
    return (AuditEvent.objects.filter(object_type="job", object_id=name, action="job", detail__after__ok=True)
            .order_by("-created_at", "-id").values_list("created_at", flat=True).first())
