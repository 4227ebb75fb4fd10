"""``sicollect demo --scale small|province --seed N``: generate the demo province."""
from __future__ import annotations

import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sicollect.core.months import Month
from sicollect.demo.generator import LAST, SCALES, generate
from sicollect.demo.writer import write
from sicollect.registry.models import Unit
from sicollect.rules.book import load_rulebook


class Command(BaseCommand):
    help = "Generate a deterministic demo province (Quang Ninh model), 2024-01 … 2025-12."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", choices=sorted(SCALES), default="small")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--post", action="store_true", help="post the ledger (default for small)")
        parser.add_argument("--no-post", action="store_true", help="do not post the ledger")

    def handle(self, *args: Any, **opts: Any) -> None:
        if Unit.objects.exists():
            raise CommandError("the registry already has units: the demo loads into an empty database only")
        t0 = time.perf_counter()
        province = generate(opts["scale"], opts["seed"], load_rulebook())
        self.stdout.write(f"generated in {time.perf_counter() - t0:.1f} s")
        from tqdm import tqdm

        bars: dict[str, Any] = {}
        totals = {"Unit": len(province.units), "Person": len(province.persons),
                  "Participation": len(province.participations), "Payment": len(province.payments)}
        tty = sys.stderr.isatty()

        def progress(name: str, n: int) -> None:
            if name not in bars:
                bars[name] = tqdm(total=totals.get(name), desc=f"write {name.lower()}", unit="row", disable=not tty)
            bars[name].update(n)

        counts = write(province, progress)
        for bar in bars.values():
            bar.close()
        self.stdout.write(", ".join(f"{v:,} {k}" for k, v in counts.items()))
        post = (opts["scale"] == "small" or opts["post"]) and not opts["no_post"]
        if post:
            from sicollect.contributions.posting import post_units

            result = post_units(Unit.objects.order_by("code"), LAST, progress=tty)
            self.stdout.write(f"ledger posted through {LAST}: {result.appended:,} entries")
        else:
            self.stdout.write(f"ledger not posted: run `sicollect close --through {Month(2025, 12)}`")
