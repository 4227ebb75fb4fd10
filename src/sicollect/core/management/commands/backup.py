"""``sicollect backup FILE``: a consistent copy of the database (SQLite file or pg_dump custom format)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sicollect.core.backup import BackupError, backup, manifest_path


class Command(BaseCommand):
    help = ("Back up the whole database to FILE (SQLite: online backup; PostgreSQL: pg_dump -Fc), verify it and "
            "write FILE.manifest.json (row counts, SHA-256, migrations), which restore requires.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            path = backup(opts["file"])
        except BackupError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        self.stdout.write(f"backup written: {path} ({path.stat().st_size:,} bytes), verified; "
                          f"manifest {manifest_path(path).name}")
