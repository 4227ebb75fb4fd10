"""``sicollect kpi_summaries``: write again the figures the close keeps for the KPI report and the dashboard."""
from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from sicollect.reports.summary import rebuild


class Command(BaseCommand):
    help = ("Write again, for every closed month, the figures the close keeps for the KPI report and the "
            "dashboard (revenue and debts by office, participant counts): for a database closed before they "
            "were kept, or after rows of a closed month were corrected in place.")

    def handle(self, *args: Any, **opts: Any) -> None:
        t0 = time.perf_counter()
        with transaction.atomic():
            out = rebuild()
        self.stdout.write(f"kpi summaries: {out.get('months', 0)} months, {out.get('revenue_rows', 0)} revenue rows, "
                          f"{out.get('debt_rows', 0)} debt rows, {out.get('count_rows', 0)} count rows "
                          f"in {time.perf_counter() - t0:.1f} s")
