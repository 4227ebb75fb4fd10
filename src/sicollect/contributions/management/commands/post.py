"""``sicollect post --through YYYY-MM [--unit CODE ...]``: the per-unit reference posting."""
from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from sicollect.contributions.posting import post_units
from sicollect.core.args import month_arg
from sicollect.core.locks import writes
from sicollect.registry.models import Unit


class Command(BaseCommand):
    help = "Bring units' ledgers up to date through a month with the reference calculator (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--through", required=True, help="YYYY-MM")
        parser.add_argument("--unit", action="append", default=[], help="unit code (repeatable); default all")

    @writes("post")  # one writer at a time (core.locks)
    def handle(self, *args: Any, **opts: Any) -> None:
        through = month_arg(opts["through"], "--through")
        units = Unit.objects.all()
        if opts["unit"]:
            units = units.filter(code__in=opts["unit"])
        result = post_units(units.order_by("code"), through, progress=True)
        self.stdout.write(f"{result.units} units, {result.appended} entries appended "
                          f"({result.corrections} corrections)")
