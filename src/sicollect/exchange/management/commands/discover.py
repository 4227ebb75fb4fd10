"""``sicollect discover underdeclared|unregistered``: ranked worklists with their evidence."""
from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sicollect.core.args import month_arg
from sicollect.core.money import format_vnd
from sicollect.core.months import Month
from sicollect.core.optional import MissingOptional
from sicollect.exchange.discovery import PersonRecord, under_declaration, working_without_si
from sicollect.exchange.rows import ImportError_, ImportErrors
from sicollect.exchange.tabular import cells_of, read_sheet

from ._args import fail_with


class Command(BaseCommand):
    help = (
        "underdeclared --as-of YYYY-MM: units declared at the floor for years, far below their sector. "
        "unregistered FILE --as-of YYYY-MM: people an employer list (CSV/xlsx: full_name, birth_date, sex, "
        "commune_code, employer_tax_code) names who are not insured by that employer."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        under = sub.add_parser("underdeclared")
        under.add_argument("--as-of", required=True)
        under.add_argument("--years", type=int, default=2)
        under.add_argument("--format", choices=["text", "json"], default="text")
        unreg = sub.add_parser("unregistered")
        unreg.add_argument("file", type=Path)
        unreg.add_argument("--as-of", required=True)
        unreg.add_argument("--threshold", type=float, default=0.9)
        unreg.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, *args: Any, **options: Any) -> None:
        month = month_arg(options["as_of"], "--as-of")
        assert isinstance(month, Month)
        if options["verb"] == "underdeclared":
            signals = under_declaration(month, years=options["years"])
            if options["format"] == "json":
                self.stdout.write(json.dumps([asdict(s) for s in signals], ensure_ascii=False, indent=2))
                return
            self.stdout.write(f"{len(signals)} unit(s), by contributions missing per month (estimate):")
            for rank, s in enumerate(signals, start=1):
                e = s.evidence
                self.stdout.write(
                    f"{rank:>3}. {s.unit} {s.name} [{s.sector}] ~{format_vnd(s.score)} đ/month: "
                    f"{e['employee_months_at_floor']}/{e['employee_months']} employee-months at the floor over "
                    f"{e['months_declared']} months, average {e['average_wage_in_floors']}× the floor vs median "
                    f"{e['median_in_floors']}× ({e['median_of']}), {e['headcount']} employees")
            return
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file", returncode=2)
        try:
            records = _read_people(path)
        except ImportErrors as exc:
            raise fail_with(self, exc) from None
        try:
            leads = working_without_si(records, month, options["threshold"])
        except MissingOptional as exc:
            raise CommandError(str(exc), returncode=2) from None
        if options["format"] == "json":
            self.stdout.write(json.dumps([{**asdict(ld), "record": {**asdict(ld.record), "birth_date": str(
                ld.record.birth_date)}} for ld in leads], ensure_ascii=False, indent=2))
            return
        self.stdout.write(f"{len(leads)} lead(s) of {len(records)} people listed:")
        for ld in leads:
            r = ld.record
            self.stdout.write(f"  line {r.uid}: {r.full_name} {r.birth_date or ''} employer {r.employer_tax_code}: "
                              f"{ld.reason}")


def _read_people(path: Path) -> list[PersonRecord]:
    errors: list[ImportError_] = []
    table = read_sheet(path, ("full_name", "employer_tax_code"), ("birth_date", "sex", "commune_code", "stt"),
                       {"ho_ten": "full_name", "ngay_sinh": "birth_date", "gioi_tinh": "sex", "ma_xa": "commune_code",
                        "mst_don_vi": "employer_tax_code"}, errors)
    out = []
    for c in cells_of(table, errors):
        name = c.text("full_name", 200)
        born = c.date("birth_date", required=False)
        tax = c.text("employer_tax_code", 20)
        sex = {"nam": "M", "m": "M", "nữ": "F", "nu": "F", "f": "F"}.get(c.raw("sex").lower(), "")
        if c.ok:
            out.append(PersonRecord(str(c.line), name, born, sex, c.raw("commune_code"), tax))
    if errors:
        raise ImportErrors(errors)
    return out
