"""``sicollect taxsync import|report|confirm|reject|export``: the tax authority's enterprise list."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sicollect.core.args import month_arg
from sicollect.core.months import Month
from sicollect.exchange.models import ImportBatch, UnitStatusProposal
from sicollect.exchange.rows import ImportErrors
from sicollect.exchange.taxsync import (
    ProposalError,
    do_confirm_proposal,
    do_import_tax_list,
    do_reject_proposal,
    export_for_labour,
    export_for_tax,
    render_report,
    tax_report,
)

from ._args import fail_with


class Command(BaseCommand):
    help = (
        "Import the tax authority's enterprise list (import FILE), show what it says the registry does not "
        "(report), confirm or reject a proposed unit status (confirm ID / reject ID --note), and export lists "
        "for the tax authority or the labour department (export tax|labour --as-of YYYY-MM -o FILE.xlsx|csv)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        imp = sub.add_parser("import")
        imp.add_argument("file", type=Path)
        imp.add_argument("--actor", default="")
        rep = sub.add_parser("report")
        rep.add_argument("--list", type=int, help="the list's batch number (default: the latest)")
        rep.add_argument("--format", choices=["text", "json"], default="text")
        for verb in ("confirm", "reject"):
            p = sub.add_parser(verb)
            p.add_argument("proposal", type=int)
            p.add_argument("--actor", default="")
            p.add_argument("--note", default="", required=verb == "reject")
        exp = sub.add_parser("export")
        exp.add_argument("to", choices=["tax", "labour"])
        exp.add_argument("--as-of", required=True, help="YYYY-MM")
        exp.add_argument("-o", "--output", type=Path, required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        verb = options["verb"]
        try:
            if verb == "import":
                if not options["file"].is_file():
                    raise CommandError(f"{options['file']}: no such file", returncode=2)
                result = do_import_tax_list(options["file"], options["actor"])
                self.stdout.write(f"{options['file'].name}: list #{result.batch.pk}, {result.enterprises} "
                                  f"enterprise(s), {result.proposals} unit status proposal(s)"
                                  + (f", {result.superseded} older proposal(s) superseded" if result.superseded else ""))
            elif verb == "report":
                batch = ImportBatch.objects.get(pk=options["list"], kind="tax") if options["list"] else None
                report = tax_report(batch)
                if options["format"] == "json":
                    self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
                else:
                    self.stdout.write(render_report(report))
            elif verb in ("confirm", "reject"):
                act = do_confirm_proposal if verb == "confirm" else do_reject_proposal
                p = act(options["proposal"], options["actor"], options["note"])
                self.stdout.write(f"proposal #{p.pk} {p.status}: {p.unit.code} "
                                  f"{'now ' + p.to_status if verb == 'confirm' else 'stays ' + p.from_status}")
            else:
                month = month_arg(options["as_of"], "--as-of")
                assert isinstance(month, Month)
                export = export_for_tax if options["to"] == "tax" else export_for_labour
                for path in export(options["output"], month):
                    self.stdout.write(f"wrote {path}")
        except ImportErrors as exc:
            raise fail_with(self, exc) from None
        except (ProposalError, UnitStatusProposal.DoesNotExist, ImportBatch.DoesNotExist) as exc:
            raise CommandError(str(exc), returncode=2) from None
