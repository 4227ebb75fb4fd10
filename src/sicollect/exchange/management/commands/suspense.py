"""``sicollect suspense list|assign|dismiss``: the bank entries no rule could place."""
from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sicollect.core.money import format_vnd
from sicollect.exchange.bank import (
    SuspenseError,
    do_assign_suspense,
    do_dismiss_suspense,
    suspense_items,
)
from sicollect.exchange.models import SuspenseItem


class Command(BaseCommand):
    help = "List the suspense queue, assign an item to a unit (a payment, or a reversal of one), or dismiss it."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        ls = sub.add_parser("list", help="open items (--all: every item)")
        ls.add_argument("--all", action="store_true")
        assign = sub.add_parser("assign", help="ITEM UNIT: record the credit as UNIT's payment")
        assign.add_argument("item", type=int)
        assign.add_argument("unit")
        assign.add_argument("--reverses", default="", help="a debit: the payment id it takes back")
        assign.add_argument("--note", default="")
        assign.add_argument("--actor", default="")
        assign.add_argument("--no-post", action="store_true")
        dismiss = sub.add_parser("dismiss", help="ITEM --note WHY: close it without a payment")
        dismiss.add_argument("item", type=int)
        dismiss.add_argument("--note", required=True)
        dismiss.add_argument("--actor", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        verb = options["verb"]
        try:
            if verb == "list":
                self.list(options["all"])
            elif verb == "assign":
                item = do_assign_suspense(options["item"], options["unit"], options["actor"], options["note"],
                                          options["reverses"], post=not options["no_post"])
                what = f"payment {item.payment.payment_id}" if item.payment else "reversal"
                self.stdout.write(f"suspense #{item.pk} assigned to {item.unit.code}: {what}")
            else:
                item = do_dismiss_suspense(options["item"], options["actor"], options["note"])
                self.stdout.write(f"suspense #{item.pk} dismissed")
        except SuspenseItem.DoesNotExist:
            raise CommandError(f"no suspense item #{options['item']}", returncode=2) from None
        except SuspenseError as exc:
            raise CommandError(str(exc), returncode=2) from None

    def list(self, every: bool) -> None:
        items = list(suspense_items(None if every else "open"))
        if not items:
            self.stdout.write("the suspense queue is empty")
            return
        for item in items:
            e = item.entry
            cands = ", ".join(f"{c['unit']} ({c['via']} {c['score']})" for c in item.candidates) or "none"
            self.stdout.write(
                f"#{item.pk} {item.status:<9} {e.booked_on} {e.direction:<6} {format_vnd(e.amount):>15}  "
                f"{e.statement_id}/{e.entry_id}  {e.counterparty_name or '-'}  {e.message!r}\n"
                f"    {item.reason}; candidates: {cands}"
                + (f"; → {item.unit.code}" if item.unit else "")
            )
