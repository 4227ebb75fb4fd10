"""``sicollect restore FILE --yes``: replace the database with a backup, safely; ``--check``: say what it
would do. Any refusal exits 2 with the reason, and the database is untouched."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sicollect.core.audit import cli_actor
from sicollect.core.backup import BackupError, inspect, restore
from sicollect.core.locks import LockBusy, writer_lock


class Command(BaseCommand):
    help = ("Replace the whole database with the backup FILE, after proving it is a sicollect backup (manifest, "
            "SHA-256, integrity check, row counts, schema version); the database it replaces is kept as a dated "
            "safety copy. Refused while a close runs. --check: only say what a restore would do.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--yes", action="store_true", help="confirm: everything since the backup is replaced")
        parser.add_argument("--check", action="store_true", help="check the file and report; change nothing")

    def handle(self, *args: Any, **opts: Any) -> None:
        path: Path = opts["file"]
        try:
            if opts["check"]:
                plan = inspect(path)
                for line in plan.lines():
                    self.stdout.write(line)
                self.stdout.write("a restore would replace the database with it (nothing was changed)")
                return
            if not opts["yes"]:
                raise CommandError("restore replaces every row of the database: add --yes to confirm "
                                   "(--check shows what it would do)", returncode=2)
            with writer_lock("restore", stream=self.stderr):
                plan, safety = restore(path, actor=cli_actor())
        except (BackupError, LockBusy) as exc:
            raise CommandError(f"{exc}; the database was not changed", returncode=2) from exc
        for line in plan.lines():
            self.stdout.write(line)
        self.stdout.write(f"restored from {path}; the database as it was is kept in {safety}")
