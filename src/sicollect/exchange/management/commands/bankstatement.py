"""``sicollect bankstatement FILE``: a bank statement (camt.053, MT940 or CSV) in, payments matched."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sicollect.core.locks import writes
from sicollect.exchange.bank import import_statement
from sicollect.exchange.csv_import import ImportErrors
from sicollect.exchange.statements import CsvLayout

from ._args import fail_with


class Command(BaseCommand):
    help = (
        "Import a bank statement: each credit is matched to a unit (transfer message, payer account, tax code, "
        "payer name) and recorded as a payment, the rest goes to the suspense queue (`sicollect suspense`). "
        "The same statement twice changes nothing; an unreadable entry writes nothing and exits with status 2."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--format", choices=["camt053", "mt940", "csv"], help="default: from the content")
        parser.add_argument("--layout", type=Path, help="CSV: a JSON file naming the columns (see CsvLayout)")
        parser.add_argument("--no-post", action="store_true", help="record payments without posting the ledger")
        parser.add_argument("--actor", default="")

    @writes("bankstatement")  # one writer at a time (core.locks)
    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file", returncode=2)
        try:
            layout = CsvLayout.from_json(options["layout"]) if options["layout"] else None
        except (OSError, ValueError, TypeError) as exc:
            raise CommandError(f"--layout: {exc}", returncode=2) from exc
        try:
            report = import_statement(path, options["format"], layout, options["actor"], post=not options["no_post"])
        except ImportErrors as exc:
            raise fail_with(self, exc) from None
        self.stdout.write(f"{path.name}: {report}")
