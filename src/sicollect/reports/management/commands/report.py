"""``sicollect report kpi --as-of YYYY-MM-DD [--office CODE] --format json|text|xlsx``."""
from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sicollect.registry.models import Office
from sicollect.reports.kpi import kpi, ranking
from sicollect.reports.render import render_text, render_xlsx


class Command(BaseCommand):
    help = "Reports. kpi: revenue vs plan, debt ratios, participants, coverage (the ledger must be posted)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("report", choices=["kpi"])
        parser.add_argument("--as-of", required=True, help="YYYY-MM-DD")
        parser.add_argument("--office", help="office code (default: the whole province)")
        parser.add_argument("--format", choices=["json", "text", "xlsx"], default="text")
        parser.add_argument("--lang", choices=["vi", "en"], default="vi")
        parser.add_argument("--ranking", action="store_true", help="add the ranking of grassroots offices")
        parser.add_argument("--output", "-o", help="file for xlsx (default: stdout)")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            as_of = date.fromisoformat(opts["as_of"])
        except ValueError as exc:
            raise CommandError(f"--as-of: expected YYYY-MM-DD, got {opts['as_of']!r}") from exc
        office = None
        if opts["office"]:
            office = Office.objects.filter(code=opts["office"]).first()
            if office is None:
                raise CommandError(f"--office: unknown office {opts['office']!r}")
        data = kpi(as_of, office)
        ranks = ranking(as_of) if opts["ranking"] or opts["format"] == "xlsx" else None
        if ranks is not None and opts["format"] == "json":
            data["ranking"] = ranks
        if opts["format"] == "json":
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
        elif opts["format"] == "text":
            where = f"của {office.name} " if office and opts["lang"] == "vi" else ""
            self.stdout.write(render_text(data, opts["lang"], where))
        else:
            payload = render_xlsx(data, ranks)
            if opts["output"]:
                Path(opts["output"]).write_bytes(payload)
                self.stdout.write(f"written {opts['output']}")
            else:
                sys.stdout.buffer.write(payload)
