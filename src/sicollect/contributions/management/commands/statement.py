"""``sicollect statement UNIT --period YYYY-MM --format json|text``."""
from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from sicollect.contributions.statement import render_text, statement_and_lines
from sicollect.core.args import month_arg
from sicollect.registry.args import unit_arg


class Command(BaseCommand):
    help = ("The monthly statement of a unit (C12-TS), read from the ledger; a month not closed yet is "
            "shown as provisional (what posting would add is computed in memory, nothing is written).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("unit")
        parser.add_argument("--period", required=True, help="YYYY-MM")
        parser.add_argument("--format", choices=["json", "text"], default="text")

    def handle(self, *args: Any, **opts: Any) -> None:
        unit = unit_arg(opts["unit"])
        period = month_arg(opts["period"], "--period")
        data, lines = statement_and_lines(unit, period)
        if opts["format"] == "json":
            self.stdout.write(json.dumps({**data, "interest_lines": lines}, ensure_ascii=False, indent=2))
        else:
            self.stdout.write(render_text(data, unit, lines))
