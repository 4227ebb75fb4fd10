"""``sicollect bankstatement FILE``: a bank statement (camt.053, MT940 or CSV) in, payments matched."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sicollect.core.locks import writes
from sicollect.exchange.bank import import_statement
from sicollect.exchange.rows import ImportErrors
from sicollect.exchange.statements import PRESETS, CsvLayout

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
        parser.add_argument("--layout", type=Path, help="CSV/xlsx: a JSON file naming the columns (see CsvLayout)")
        parser.add_argument("--preset", choices=sorted(PRESETS),
                            help="CSV/xlsx: a bank's statement export layout (--layout keys override it)")
        parser.add_argument("--encoding", help="CSV/MT940 text encoding (default: detected; e.g. cp1258, utf-16)")
        parser.add_argument("--no-post", action="store_true", help="record payments without posting the ledger")
        parser.add_argument("--actor", default="")

    @writes("bankstatement")  # one writer at a time (core.locks)
    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file", returncode=2)
        try:
            data = json.loads(options["layout"].read_text(encoding="utf-8")) if options["layout"] else {}
            if not isinstance(data, dict):
                raise ValueError("a layout is a JSON object of column names")
            if options["preset"]:
                data = {"preset": options["preset"], **data}
            layout = CsvLayout.of(data, str(options["layout"] or "--preset")) if data else None
        except (OSError, ValueError, TypeError) as exc:
            raise CommandError(f"--layout: {exc}", returncode=2) from exc
        if layout is not None and (options["format"] or "csv") != "csv":
            raise CommandError("--layout/--preset are for CSV/xlsx statements", returncode=2)
        try:
            report = import_statement(path, "csv" if layout is not None else options["format"], layout,
                                      options["actor"], post=not options["no_post"], encoding=options["encoding"])
        except ImportErrors as exc:
            raise fail_with(self, exc) from None
        for w in report.warnings:
            self.stderr.write(f"warning: {w}")
        self.stdout.write(f"{path.name}: {report}")
