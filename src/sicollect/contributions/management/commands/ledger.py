"""``sicollect ledger UNIT [--from YYYY-MM --to YYYY-MM]``."""
from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db.models import Sum

from sicollect.contributions.models import LedgerEntry
from sicollect.core.args import month_arg
from sicollect.core.money import format_vnd
from sicollect.registry.args import unit_arg


class Command(BaseCommand):
    help = "The ledger entries of a unit, oldest first, with a running balance."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("unit")
        parser.add_argument("--from", dest="first", help="YYYY-MM")
        parser.add_argument("--to", dest="last", help="YYYY-MM")

    def handle(self, *args: Any, **opts: Any) -> None:
        unit = unit_arg(opts["unit"])
        entries = LedgerEntry.objects.filter(unit=unit).select_related("payment")
        balance = 0
        if opts["first"]:
            first = month_arg(opts["first"], "--from")
            balance = (
                LedgerEntry.objects.filter(unit=unit, period__lt=first).exclude(kind="credit")
                .aggregate(s=Sum("amount"))["s"] or 0
            )
            entries = entries.filter(period__gte=first)
        if opts["last"]:
            entries = entries.filter(period__lte=month_arg(opts["last"], "--to"))
        self.stdout.write(f"{'period':8} {'date':10} {'kind':10} {'fund':6} {'target':9} {'month':7} "
                          f"{'amount':>14} {'balance':>14}  ref")
        self.stdout.write(f"{'':58}{'opening':>14} {format_vnd(balance):>14}")
        for e in entries.order_by("period", "posted_on", "id"):
            if e.kind != "credit":
                balance += e.amount
            ref = e.payment.payment_id if e.payment else e.source
            flag = " (correction)" if e.is_correction else ""
            self.stdout.write(
                f"{e.period!s:8} {e.posted_on.isoformat():10} {e.kind:10} {e.fund:6} {e.target:9} "
                f"{e.month or '':7} {format_vnd(e.amount):>14} {format_vnd(balance):>14}  {ref}{flag}"
            )
