"""``sicollect import DIR``: load the registry, payments and plans from CSV files.

The module is named ``import`` so the command reads naturally; Django loads it
with importlib, so the keyword never appears in an import statement.
"""
# ruff: noqa: N999

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sicollect.core.audit import cli_actor
from sicollect.core.locks import writes
from sicollect.exchange.registry_import import file_names, import_dir
from sicollect.exchange.rows import ImportErrors


class Command(BaseCommand):
    @property
    def help(self) -> str:  # type: ignore[override]  # the files apps registered are known once they are ready
        return (
            "Import CSV files from DIR (any of: " + ", ".join(file_names()) + "). "
            "All files are validated before anything is written; any error writes nothing "
            "and exits with status 2."
        )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("dir", type=Path, help="directory holding the CSV files")

    @writes("import")  # one writer at a time (core.locks)
    def handle(self, *args: Any, **options: Any) -> None:
        directory: Path = options["dir"]
        if not directory.is_dir():
            raise CommandError(f"{directory}: not a directory", returncode=2)
        try:
            report = import_dir(directory, actor=cli_actor())
        except ImportErrors as exc:
            for warning in exc.warnings:
                self.stderr.write(f"warning: {warning}", style_func=self.style.WARNING)
            for error in exc.errors:
                self.stderr.write(str(error))
            raise CommandError(
                f"{len(exc.errors)} error(s); nothing was imported", returncode=2
            ) from None
        for warning in report.warnings:
            self.stderr.write(f"warning: {warning}", style_func=self.style.WARNING)
        if not report.files:
            self.stdout.write(
                f"no known CSV files in {directory} (expected any of {', '.join(file_names())})"
            )
        for name, counts in report.files.items():
            self.stdout.write(f"{name}: {counts}")
        if report.affected_units:
            self.stdout.write(f"{len(report.affected_units)} unit(s) affected")
