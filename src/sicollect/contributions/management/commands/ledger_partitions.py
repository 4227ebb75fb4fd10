"""``sicollect ledger_partitions [--through YEAR]``: a partition for each year of the ledger, on PostgreSQL."""
from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from sicollect.contributions import partitions as p


class Command(BaseCommand):
    help = ("PostgreSQL: give every year through --through (default: next year) its own ledger partition, "
            "moving the rows the DEFAULT partition took for them; list the partitions. Safe to run any time "
            "(e.g. yearly from cron); nothing to do on SQLite.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--through", type=int, default=date.today().year + 1, help="last year (default: next year)")

    def handle(self, *args: Any, **opts: Any) -> None:
        if connection.vendor != "postgresql":
            self.stdout.write(f"{connection.vendor}: the ledger is not partitioned (PostgreSQL only)")
            return
        with transaction.atomic(), connection.cursor() as cur:
            if not p.is_partitioned(cur):
                raise CommandError(f"{p.TABLE} is not partitioned: run `sicollect migrate` first")
            have = p.years(cur)
            first = have[0] if have else opts["through"]
            cur.execute(f"SELECT DISTINCT EXTRACT(YEAR FROM {p.KEY})::int FROM {p.DEFAULT}")
            stray = [y for (y,) in cur.fetchall()]  # rows the DEFAULT partition took: their years get one too
            created = p.add_years(cur, [*range(first, opts["through"] + 1), *stray])
            cur.execute(f"SELECT tableoid::regclass::text, COUNT(*) FROM {p.TABLE} GROUP BY 1")
            rows = dict(cur.fetchall())
            bounds = p.partitions(cur)
        for y in created:
            self.stdout.write(f"created {p.partition_name(y)}")
        for name, bound in bounds.items():
            self.stdout.write(f"{name:36} {rows.get(name, 0):>12,} rows  {bound}")
