"""``sicollect restore FILE --yes``: replace the database's content with a backup."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sicollect.core.audit import cli_actor
from sicollect.core.backup import BackupError, restore


class Command(BaseCommand):
    help = ("Replace the whole database with the backup FILE (refused while a close runs); the restored "
            "database gets an audit row 'restore' naming the file and who ran it.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--yes", action="store_true", help="confirm: everything since the backup is lost")

    def handle(self, *args: Any, **opts: Any) -> None:
        if not opts["yes"]:
            raise CommandError("restore replaces every row of the database: add --yes to confirm")
        try:
            restore(opts["file"], actor=cli_actor())
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"restored from {opts['file']}")
