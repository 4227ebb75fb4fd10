"""``sicollect plan import|cascade|check|progress|weekly|forecast|evaluate …``."""
from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sicollect.core import audit
from sicollect.core.args import date_arg
from sicollect.exchange.rows import ImportErrors
from sicollect.registry.args import office_arg

from ...forecast import forecast
from ...importer import import_plans
from ...models import Level
from ...progress import PERIODS, evaluate, progress, weekly, weekly_xlsx
from ...targets import RULES, PlanError, cascade, check


def _manual(path: str) -> dict[str, dict[str, int]]:
    """A split file: CSV with columns ``child`` (office/point code or user name), ``indicator``, ``value``."""
    out: dict[str, dict[str, int]] = {}
    with open(path, newline="", encoding="utf-8-sig") as fh:
        for i, row in enumerate(csv.DictReader(fh), start=2):
            try:
                out.setdefault(row["child"].strip(), {})[row["indicator"].strip()] = int(row["value"])
            except (KeyError, ValueError, AttributeError) as exc:
                raise CommandError(f"{Path(path).name}:{i}: child,indicator,value: unreadable row ({exc})") from exc
    return out


class Command(BaseCommand):
    help = "Annual plans: import, cascade, check, progress, weekly summary, forecast, evaluations."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        p = sub.add_parser("import", help="targets from xlsx or CSV (all or nothing)")
        p.add_argument("file")
        p = sub.add_parser("cascade", help="split an office's targets over its children")
        p.add_argument("--year", type=int, required=True)
        p.add_argument("--from", dest="parent", required=True, help="the parent office code")
        p.add_argument("--to", required=True, choices=["offices", "points", "officers"])
        p.add_argument("--rule", required=True, choices=list(RULES))
        p.add_argument("--indicator", action="append", help="only these indicators (repeatable)")
        p.add_argument("--split", help="manual: CSV child,indicator,value")
        p = sub.add_parser("check", help="children that do not sum to their parent")
        p.add_argument("--year", type=int, required=True)
        p = sub.add_parser("progress", help="actual vs target, ranked")
        p.add_argument("--as-of", required=True)
        p.add_argument("--period", choices=PERIODS, default="ytd")
        p.add_argument("--level", choices=Level.values, default=Level.OFFICE)
        p.add_argument("--office", help="only this office's nodes")
        p.add_argument("--format", choices=["text", "json"], default="text")
        p = sub.add_parser("weekly", help="the weekly conference summary (xlsx)")
        p.add_argument("--as-of", required=True)
        p.add_argument("--output", "-o", required=True)
        p = sub.add_parser("forecast", help="year-end projection, gap and amount per remaining month")
        p.add_argument("--as-of", required=True)
        p.add_argument("--office")
        p.add_argument("--format", choices=["text", "json"], default="text")
        p = sub.add_parser("evaluate", help="freeze a month's or quarter's progress with a comment")
        p.add_argument("--period", required=True, help="YYYY-MM or YYYY-Qn")
        p.add_argument("--level", choices=Level.values, default=Level.OFFICE)
        p.add_argument("--office")
        p.add_argument("--by", required=True, help="who makes the evaluation")
        p.add_argument("--comment", default="")

    def handle(self, *args: Any, **o: Any) -> None:
        getattr(self, "do_" + o["action"])(o)

    def do_import(self, o: dict[str, Any]) -> None:
        try:
            result = import_plans(Path(o["file"]), audit.cli_actor())
        except ImportErrors as exc:
            for e in exc.errors:
                self.stderr.write(str(e))
            sys.exit(2)
        self.stdout.write(f"{Path(o['file']).name}: {result}")

    def do_cascade(self, o: dict[str, Any]) -> None:
        parent = office_arg(o["parent"])
        assert parent is not None
        if o["rule"] == "manual" and not o["split"]:
            raise CommandError("--rule manual needs --split FILE (child,indicator,value)")
        try:
            result = cascade(o["year"], parent, o["to"], o["rule"], o["indicator"],
                             _manual(o["split"]) if o["split"] else None, actor=audit.cli_actor())
        except PlanError as exc:
            for line in str(exc).splitlines():
                self.stderr.write(line)
            sys.exit(2)
        for line in result.lines():
            self.stdout.write(line)

    def do_check(self, o: dict[str, Any]) -> None:
        problems = check(o["year"])
        for p in problems:
            self.stdout.write(p)
        if problems:
            sys.exit(1)
        self.stdout.write(f"{o['year']}: every split sums to its parent")

    def do_progress(self, o: dict[str, Any]) -> None:
        office = office_arg(o["office"])
        rows = progress(o["level"], date_arg(o["as_of"], "--as-of"), o["period"],
                        [office.pk] if office and not office.is_province else None)
        if o["format"] == "json":
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        self.stdout.write(f"{'code':<12} {'revenue ytd':>16} {'target':>16} {'%':>7} {'period':>14} "
                          f"{'%':>7} {'debt %':>7} {'HI':>7} {'rank':>4}")
        for r in sorted(rows, key=lambda r: r["rank_revenue"]):
            rev = r["revenue"]
            debt = r.get("debt", {}).get("ratio_pct")
            self.stdout.write(f"{r['code']:<12} {rev['ytd']:>16,} {rev['target'] or 0:>16,} {rev['pct'] or 0:>7.2f} "
                              f"{rev['period']:>14,} {rev['period_pct'] or 0:>7.2f} {debt or 0:>7.2f} "
                              f"{r['participants']['hi']['count']:>7,} {r['rank_revenue']:>4}")

    def do_weekly(self, o: dict[str, Any]) -> None:
        data = weekly(date_arg(o["as_of"], "--as-of"))
        Path(o["output"]).write_bytes(weekly_xlsx(data))
        self.stdout.write(f"written {o['output']} (week {data['week_from']} … {data['week_to']})")

    def do_forecast(self, o: dict[str, Any]) -> None:
        data = forecast(date_arg(o["as_of"], "--as-of"), office_arg(o["office"]))
        if o["format"] == "json":
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
            return
        r = data["revenue"]
        self.stdout.write(f"through {data['through']}: collected {r['collected']:,}; year end {r['year_end']:,}"
                          + (f"; target {r['target']:,}, gap {r['gap']:+,}" if r["target"] is not None else ""))
        for m, amount in r["needed_per_month"].items():
            self.stdout.write(f"  month {m:>2}: collect {amount:,}")
        d = data["debt"]
        self.stdout.write(f"debt ratio now {d['ratio_now_pct']} %, year end {d['ratio_year_end_pct']} % "
                          f"(ceiling {d['ceiling_pct']} %)")
        for key, p in data["participants"].items():
            self.stdout.write(f"{key}: {p['count']:,} → {p['year_end']:,} (target {p['target']}, "
                              f"add {p['needed_per_month']} a month)")

    def do_evaluate(self, o: dict[str, Any]) -> None:
        try:
            record = evaluate(o["period"], o["level"], o["by"], o["comment"], office_arg(o["office"]))
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"evaluation {record.pk}: {record.period} {record.level}, {len(record.figures)} rows "
                          f"as of {record.as_of}")
