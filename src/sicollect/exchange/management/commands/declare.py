"""``sicollect declare FILE --unit CODE [--preview]``: a D02-LT declaration file (CSV or xlsx)."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sicollect.core.args import date_arg, month_arg
from sicollect.core.audit import cli_actor
from sicollect.core.locks import writes
from sicollect.core.months import Month
from sicollect.exchange.declarations import (
    do_import_declaration,
    preview,
    read_declaration,
    render_preview,
)
from sicollect.exchange.rows import ImportErrors
from sicollect.registry.args import unit_arg

from ._args import fail_with


class Command(BaseCommand):
    help = (
        "Import a unit's declaration file (D02-LT, CSV or xlsx). Every line is checked first; any error "
        "writes nothing and exits with status 2. --preview shows the effect on the unit's dues and interest "
        "and writes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--unit", required=True, help="the unit code the file declares for")
        parser.add_argument("--declared-on", help="the day the declaration was made, YYYY-MM-DD (default today)")
        parser.add_argument("--preview", action="store_true", help="show the effect, write nothing")
        parser.add_argument("--through", help="preview/post through this month YYYY-MM (default: declaring month)")
        parser.add_argument("--post", action="store_true", help="post the unit's ledger after importing")
        parser.add_argument("--format", choices=["text", "json"], default="text", help="preview output")
        parser.add_argument("--actor", default="", help="who imports it (for the audit row)")

    @writes("declare")  # one writer at a time (core.locks)
    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file", returncode=2)
        unit = unit_arg(options["unit"])
        declared_on = date_arg(options["declared_on"], "--declared-on") or date.today()
        through = month_arg(options["through"], "--through")
        try:
            decl = read_declaration(path, unit, declared_on)
        except ImportErrors as exc:
            raise fail_with(self, exc) from None
        for warning in decl.warnings:
            self.stderr.write(f"warning: {warning}", style_func=self.style.WARNING)
        if options["preview"]:
            p = preview(decl, through)
            if options["format"] == "json":
                self.stdout.write(json.dumps(p.as_dict(), ensure_ascii=False, indent=2))
            else:
                self.stdout.write(render_preview(p))
                self.stdout.write("\n(preview only: nothing was written)")
            return
        post_through = (through or Month.of(declared_on)) if options["post"] else None
        result = do_import_declaration(decl, actor=options["actor"] or cli_actor(), post_through=post_through,
                                       source=f"sicollect declare {path.resolve()}")
        self.stdout.write(
            f"{path.name}: batch #{result.batch.pk}, {result.participations} line(s) declared for {unit.code}, "
            f"{result.persons} new person(s)" + (f", {result.posted} ledger row(s) posted" if options["post"] else "")
        )

