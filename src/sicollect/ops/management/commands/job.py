"""``sicollect job close|bankdrop|backup|arrears``: the scheduled jobs (systemd timers in ``deploy/``).

Prints one line ``job NAME ok|FAILED: …`` and exits 0, or 1 when the job failed (systemd then marks
the unit failed); either way an audit row ``job`` is written, and a failed job shows on the dashboard.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sicollect.core.args import date_arg
from sicollect.ops.jobs import run_job


class Command(BaseCommand):
    help = "Run a scheduled job (close, bankdrop, backup, arrears): one audit row and one line of result."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="job", required=True)
        p = sub.add_parser("close", help="close last month from the office's close day (SICOLLECT_CLOSE_DAY)")
        p.add_argument("--day", type=int, help="day of the month from which last month is closed (default: "
                                               "SICOLLECT_CLOSE_DAY or 5)")
        p.add_argument("--today", help="YYYY-MM-DD (default: today)")
        p.add_argument("--engine", choices=["sql", "duckdb", "reference"], default="sql")
        p = sub.add_parser("bankdrop", help="import every statement in the drop folder, move it to done/ or failed/")
        p.add_argument("--dir", type=Path, help="default: SICOLLECT_BANK_DROP or $SICOLLECT_VAR/bankdrop")
        p = sub.add_parser("backup", help="back up the database, remove backups older than N days")
        p.add_argument("--dir", type=Path, help="default: SICOLLECT_BACKUP_DIR or $SICOLLECT_VAR/backups")
        p.add_argument("--keep-days", type=int, help="default: SICOLLECT_BACKUP_KEEP_DAYS or 14")
        p = sub.add_parser("arrears", help="sync cases and propose the next ladder steps")
        p.add_argument("--as-of", help="YYYY-MM-DD (default: today)")
        p.add_argument("--officer", default="", help="also confirm every proposal as this officer and issue notices")
        p.add_argument("-o", "--output", type=Path, help="with --officer: folder for the notices' PDFs")

    def handle(self, *args: Any, **opts: Any) -> None:
        name = opts["job"]
        if name == "close":
            kwargs = {"today": date_arg(opts["today"], "--today"), "day": opts["day"], "engine": opts["engine"]}
        elif name == "bankdrop":
            kwargs = {"folder": opts["dir"]}
        elif name == "backup":
            kwargs = {"folder": opts["dir"], "keep_days": opts["keep_days"]}
        else:
            kwargs = {"as_of": date_arg(opts["as_of"], "--as-of"), "officer": opts["officer"], "out_dir": opts["output"]}
        result = run_job(name, **kwargs)
        line = f"job {name} {'ok' if result.ok else 'FAILED'} ({result.seconds:.1f} s): {result.line}"
        if not result.ok:
            raise CommandError(line, returncode=1)
        self.stdout.write(line)
