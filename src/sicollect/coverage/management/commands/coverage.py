"""``sicollect coverage communes|offices|leads|special …``: coverage where people live, development
leads per collection point, special groups."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sicollect.core.args import date_arg
from sicollect.core.privacy import mask_id
from sicollect.exchange.rows import ImportErrors
from sicollect.registry.models import Office

from ...areas import by_commune, by_office, special_status, special_summary
from ...models import SpecialGroup
from ...special import import_special


class Command(BaseCommand):
    help = "Coverage: HI vs population and SI vs labour force per commune or office; special-group lists."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        for name in ("communes", "offices"):
            p = sub.add_parser(name)
            p.add_argument("--as-of", required=True)
            p.add_argument("--office", help="only this office's communes")
            p.add_argument("--format", choices=["text", "json"], default="text")
        p = sub.add_parser("leads", help="development leads per collection point")
        p.add_argument("--as-of", required=True)
        p.add_argument("--office")
        p.add_argument("--point", help="only this collection point's list")
        p.add_argument("--days", type=int, default=30, help="HI cards ending within this many days")
        p.add_argument("--format", choices=["text", "json"], default="text")
        p = sub.add_parser("lead", help="work a lead: add (by hand) | status ID STATUS")
        p.add_argument("verb", choices=["add", "status"])
        p.add_argument("lead_args", nargs="*", metavar="ID STATUS", help="status: the lead's id and its new status")
        p.add_argument("--office", help="add: the office")
        p.add_argument("--name", default="", help="add: the person's full name")
        p.add_argument("--point", help="add: the collection point")
        p.add_argument("--si-code", default="")
        p.add_argument("--detail", default="")
        p.add_argument("--note", default="")
        p.add_argument("--actor", default="", help="who works the lead (default: cli:<user>)")
        p = sub.add_parser("special", help="special-group lists: import FILE | status")
        p.add_argument("verb", choices=["import", "status"])
        p.add_argument("file", nargs="?")
        p.add_argument("--as-of")
        p.add_argument("--group", choices=SpecialGroup.values)
        p.add_argument("--format", choices=["text", "json"], default="text")
        p.add_argument("--unmasked", action="store_true", help="show whole national IDs")

    def handle(self, *args: Any, **o: Any) -> None:
        if o["action"] == "special":
            return self.special(o)
        if o["action"] == "leads":
            return self.leads(o)
        if o["action"] == "lead":
            return self.lead(o)
        ids = None
        if o["office"]:
            office = Office.objects.filter(code=o["office"]).first()
            if office is None:
                raise CommandError(f"--office: unknown office {o['office']!r}")
            ids = [office.pk]
        rows = (by_commune if o["action"] == "communes" else by_office)(date_arg(o["as_of"], "--as-of"), ids)
        if o["format"] == "json":
            self.stdout.write(json.dumps([r.as_dict() for r in rows], ensure_ascii=False, indent=2))
            return
        self.stdout.write(f"{'code':<8} {'office':<8} {'population':>11} {'HI':>8} {'HI %':>7} "
                          f"{'labour':>9} {'SI':>8} {'SI %':>7}")
        for r in rows:
            self.stdout.write(f"{r.code:<8} {r.office:<8} {r.population:>11,} {r.hi:>8,} {r.hi_pct or 0:>7.2f} "
                              f"{r.labour_force:>9,} {r.si_total:>8,} {r.si_pct or 0:>7.2f}")

    def special(self, o: dict[str, Any]) -> None:
        if o["verb"] == "import":
            if not o["file"]:
                raise CommandError("coverage special import FILE")
            try:
                result = import_special(Path(o["file"]))
            except ImportErrors as exc:
                for e in exc.errors:
                    self.stderr.write(str(e))
                sys.exit(2)
            self.stdout.write(f"{Path(o['file']).name}: {result}")
            return
        if not o["as_of"]:
            raise CommandError("coverage special status --as-of YYYY-MM-DD")
        rows = special_status(date_arg(o["as_of"], "--as-of"), o["group"])
        if not o["unmasked"]:
            for r in rows:
                r["national_id"] = mask_id(r["national_id"])
        if o["format"] == "json":
            self.stdout.write(json.dumps({"members": rows, "summary": special_summary(rows)}, ensure_ascii=False,
                                         indent=2))
            return
        for r in rows:
            flags = "unknown" if r["si_code"] is None else " ".join(
                k for k in ("hi", "si_compulsory", "si_voluntary") if r[k]) or "none"
            self.stdout.write(f"{r['group']:<12} {r['commune']:<8} {r['national_id']:<14} {r['full_name']:<30} {flags}")

    def lead(self, o: dict[str, Any]) -> None:
        from sicollect.core import audit

        from ...leads import LeadError, do_add_lead, do_set_lead_status
        from ...models import Lead

        actor = o["actor"] or audit.cli_actor()
        try:
            if o["verb"] == "add":
                office = Office.objects.filter(code=o["office"] or "").first()
                if office is None:
                    raise CommandError(f"--office: unknown office {o['office']!r}", returncode=2)
                lead = do_add_lead(office, o["name"], actor, point=o["point"], si_code=o["si_code"],
                                   detail=o["detail"], note=o["note"])
            else:
                if len(o["lead_args"]) != 2 or not o["lead_args"][0].isdigit():
                    raise CommandError("coverage lead status ID STATUS", returncode=2)
                lead = do_set_lead_status(int(o["lead_args"][0]), o["lead_args"][1], actor, o["note"])
        except LeadError as exc:
            raise CommandError(str(exc), returncode=2) from None
        except Lead.DoesNotExist:
            raise CommandError(f"no lead #{o['args'][0]}", returncode=2) from None
        self.stdout.write(f"lead #{lead.pk} {lead.full_name}: {lead.status}")

    def leads(self, o: dict[str, Any]) -> None:
        from ...leads import leads, with_status

        ids = None
        if o["office"]:
            office = Office.objects.filter(code=o["office"]).first()
            if office is None:
                raise CommandError(f"--office: unknown office {o['office']!r}")
            ids = [office.pk]
        rows = with_status(leads(date_arg(o["as_of"], "--as-of"), ids, o["days"]), ids)
        if o["point"]:
            rows = [r for r in rows if r["point"] == o["point"]]
        if o["format"] == "json":
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        for r in rows:
            self.stdout.write(f"{r['point'] or '-':<10} {r['kind']:<18} {r['si_code']:<12} {r['full_name']:<30} "
                              f"{r['status']:<10} {r['detail']}")
