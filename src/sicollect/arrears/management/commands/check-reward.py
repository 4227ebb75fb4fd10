"""``sicollect check-reward KEY… [--file LIST] [--as-of DATE]``: may the unit be confirmed for rewards?

KEY is a unit code or a tax code; ``--file`` reads one per line (the batch check).
Exit code 1 when any unit may not be confirmed.
"""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Whether units may be confirmed for state rewards (no late debt, no evasion finding), with the reason."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("keys", nargs="*", help="unit codes or tax codes")
        parser.add_argument("--file", help="a list, one code per line")
        parser.add_argument("--as-of", help="YYYY-MM-DD (default: today)")
        parser.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, *args: Any, **o: Any) -> None:
        from sicollect.arrears.reward import check_many

        keys = list(o["keys"])
        if o["file"]:
            keys += [ln.strip() for ln in Path(o["file"]).read_text(encoding="utf-8").splitlines() if ln.strip()]
        if not keys:
            raise CommandError("give unit codes or tax codes, or --file", returncode=2)
        try:
            as_of = date.fromisoformat(o["as_of"]) if o["as_of"] else date.today()
        except ValueError as exc:
            raise CommandError("--as-of: YYYY-MM-DD", returncode=2) from exc
        answers = check_many(keys, as_of)
        if o["format"] == "json":
            self.stdout.write(json.dumps([{"unit": a.unit, "may_confirm": a.may_confirm, "reason": a.reason}
                                          for a in answers], ensure_ascii=False))
        else:
            for a in answers:
                self.stdout.write(f"{a.unit:16} {'ĐƯỢC' if a.may_confirm else 'KHÔNG'}  {a.reason}")
        if not all(a.may_confirm for a in answers):
            raise SystemExit(1)
