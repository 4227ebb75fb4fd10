"""``sicollect arrears …``: cases, the escalation ladder, notices, disclosure and figures.

    sicollect arrears sync     [--as-of DATE]            open/update/close cases from the ledger
    sicollect arrears propose  [--as-of DATE]            propose the next steps of every open case
    sicollect arrears confirm  --officer NAME (--ids 1,2 | --all [--step CODE] [--office CODE]) [--on DATE]
    sicollect arrears list     [--step CODE] [--office CODE] [--cases] [--format text|json]
    sicollect arrears notices  --from DATE --to DATE -o DIR     one PDF per office + register xlsx
    sicollect arrears notice   --unit CODE [--latest] -o FILE.pdf   one unit's notices
    sicollect arrears send     --channel email|sms|zalo|post [--office CODE] [--issued-on DATE] [--resend]
                               [--outbox DIR] [--template ID]   deliver the notices (arrears.delivery)
    sicollect arrears delivery-report FILE   the provider's report: phone,notice_number,status CSV, eSMS's
                               callbacks (one a line) or its per-number status JSON (arrears.delivery)
    sicollect arrears disclose nominate|review|publish|export …
    sicollect arrears disclose nominate --unit CODE [--as-of DATE]        one unit (refused below the legal months)
    sicollect arrears disclose nominate [--office CODE]                   every qualifying unit of an office
    sicollect arrears disclose delist --unit CODE --reason TEXT [--as-of DATE]   off the published list
    sicollect arrears inspection [--as-of DATE] [--limit N] [--format text|json]   risk ranking
    sicollect arrears numbers  --from DATE --to DATE
    sicollect arrears run      --officer NAME [--as-of DATE] [-o DIR]   the bulk run: sync, propose,
                               confirm every proposal, notices; progress bars and the cases per step
DATE defaults to the last day of the last closed month.
"""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sicollect.contributions.models import ClosedMonth
from sicollect.core.money import format_vnd
from sicollect.registry.models import Office


def _date(text: str | None) -> date:
    if text:
        try:
            return date.fromisoformat(text)
        except ValueError as exc:
            raise CommandError(f"expected YYYY-MM-DD, got {text!r}", returncode=2) from exc
    closed = ClosedMonth.last()
    if closed is None:
        raise CommandError("no month is closed yet: give --as-of", returncode=2)
    return closed.last_day


class Command(BaseCommand):
    help = "Arrears enforcement: sync cases, propose and confirm ladder steps, notices, disclosure, figures."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        p = sub.add_parser("sync")
        p.add_argument("--as-of")
        p = sub.add_parser("propose")
        p.add_argument("--as-of")
        p = sub.add_parser("confirm")
        p.add_argument("--officer", required=True)
        p.add_argument("--ids", help="comma-separated step ids (from `list`)")
        p.add_argument("--all", action="store_true", help="every proposed step (filtered by --step/--office)")
        p.add_argument("--step")
        p.add_argument("--office")
        p.add_argument("--on", help="confirmation day (default: the case's as-of day)")
        p = sub.add_parser("list")
        p.add_argument("--step")
        p.add_argument("--office")
        p.add_argument("--cases", action="store_true", help="open cases instead of proposals")
        p.add_argument("--format", choices=["text", "json"], default="text")
        p = sub.add_parser("notices")
        p.add_argument("--from", dest="first", required=True)
        p.add_argument("--to", dest="last", required=True)
        p.add_argument("-o", "--output", required=True)
        p = sub.add_parser("notice", help="the PDF of one unit's notices")
        p.add_argument("--unit", required=True)
        p.add_argument("--latest", action="store_true", help="only the latest notice")
        p.add_argument("-o", "--output", required=True)
        p = sub.add_parser("send", help="deliver notices by e-mail (PDF attached), SMS or Zalo (outbox files)")
        p.add_argument("--channel", required=True, choices=["email", "sms", "zalo", "post"])
        p.add_argument("--office", help="the notices of this office (its code)")
        p.add_argument("--issued-on", help="the notices issued on this day (YYYY-MM-DD)")
        p.add_argument("--resend", action="store_true", help="send again notices already sent on the channel")
        p.add_argument("--outbox", help="where SMS/Zalo files go (default SICOLLECT_OUTBOX)")
        p.add_argument("--template", help="the Zalo ZNS template id (default SICOLLECT_ZALO_TEMPLATE_ID)")
        p.add_argument("--actor", help="recorded as (default cli:<user>)")
        p = sub.add_parser("delivery-report", help="statuses from the SMS/Zalo provider's delivery report (CSV, eSMS callbacks or status JSON)")
        p.add_argument("file")
        p.add_argument("--actor")
        p = sub.add_parser("disclose")
        p.add_argument("what", choices=["nominate", "review", "publish", "export", "delist"])
        p.add_argument("--as-of", help="the day (nominate, review, publish; delist: the removal day)")
        p.add_argument("--unit", help="nominate or delist this one unit")
        p.add_argument("--office", help="nominate: only this office and those under it")
        p.add_argument("--reason", help="delist: why the unit leaves the published list (required)")
        p.add_argument("--min-months", type=int)
        p.add_argument("--manager", help="the reviewing/publishing province manager")
        p.add_argument("--ids", help="candidates to review (default: all)")
        p.add_argument("-o", "--output")
        p = sub.add_parser("inspection")
        p.add_argument("--as-of")
        p.add_argument("--limit", type=int, default=50)
        p.add_argument("--format", choices=["text", "json"], default="text")
        p = sub.add_parser("numbers")
        p.add_argument("--from", dest="first", required=True)
        p.add_argument("--to", dest="last", required=True)
        p = sub.add_parser("run", help="sync, propose, confirm all, notices (rerunnable)")
        p.add_argument("--officer", required=True)
        p.add_argument("--as-of")
        p.add_argument("-o", "--output", help="write the notices (PDF per office + register xlsx) here")
        p.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **o: Any) -> None:
        getattr(self, f"do_{o['action'].replace('-', '_')}")(o)

    def do_sync(self, o: dict[str, Any]) -> None:
        from sicollect.arrears.cases import sync

        s = sync(_date(o["as_of"]))
        self.stdout.write(json.dumps(s.as_dict(), ensure_ascii=False))

    def do_propose(self, o: dict[str, Any]) -> None:
        from sicollect.arrears.ladder import propose

        s = propose(_date(o["as_of"]))
        self.stdout.write(f"{s.proposed} step(s) proposed for {s.cases} open case(s); "
                          f"{s.held_by_commitment} held by a commitment")
        for code, n in s.by_step.items():
            self.stdout.write(f"  {code:14} {n:>6}")

    def _office(self, code: str | None) -> Any:
        if not code:
            return None
        office = Office.objects.filter(code=code).first()
        if office is None:
            raise CommandError(f"no office {code!r}", returncode=2)
        return office

    def do_confirm(self, o: dict[str, Any]) -> None:
        from sicollect.arrears.ladder import do_confirm_steps, proposals

        if o["ids"]:
            try:
                ids = [int(x) for x in o["ids"].split(",") if x.strip()]
            except ValueError as exc:
                raise CommandError("--ids: comma-separated numbers", returncode=2) from exc
        elif o["all"]:
            ids = list(proposals(office=self._office(o["office"]), step=o["step"]).values_list("pk", flat=True))
        else:
            raise CommandError("give --ids or --all", returncode=2)
        s = do_confirm_steps(ids, o["officer"], "cli: sicollect arrears confirm",
                             date.fromisoformat(o["on"]) if o["on"] else None, progress=True)
        self.stdout.write(f"{s.confirmed} confirmed, {s.notices} notice(s) issued, "
                          f"{s.disclosures} disclosure candidate(s); {len(s.skipped)} skipped")
        for line in s.skipped:
            self.stdout.write(f"  skipped {line}")

    def do_list(self, o: dict[str, Any]) -> None:
        from sicollect.arrears.ladder import cases_by_step, proposals
        from sicollect.arrears.models import Case

        office = self._office(o["office"])
        if o["cases"]:
            qs = Case.objects.filter(closed_on__isnull=True).select_related("unit").order_by("-late_amount")
            if office is not None:
                qs = qs.filter(unit__office=office)
            rows = [{"case": c.pk, "unit": c.unit.code, "name": c.unit.name, "late": c.late_amount,
                     "months_late": c.months_late, "class": c.debt_class, "as_of": c.as_of.isoformat()} for c in qs]
            if o["format"] == "json":
                self.stdout.write(json.dumps({"cases": rows, "by_step": cases_by_step()}, ensure_ascii=False))
                return
            for r in rows:
                self.stdout.write(f"{r['case']:>7} {r['unit']:14} {r['class']:6} {r['months_late']:>3} th "
                                  f"{format_vnd(r['late']):>16}  {r['name']}")
            self.stdout.write(f"{len(rows)} open case(s); by step: {cases_by_step()}")
            return
        rows = [{"id": s.pk, "step": s.step.code, "unit": s.case.unit.code, "late": s.late_amount,
                 "months_late": s.months_late, "proposed_on": s.proposed_on.isoformat()}
                for s in proposals(office=office, step=o["step"])]
        if o["format"] == "json":
            self.stdout.write(json.dumps(rows, ensure_ascii=False))
            return
        for r in rows:
            self.stdout.write(f"{r['id']:>7} {r['step']:14} {r['unit']:14} {r['months_late']:>3} th "
                              f"{format_vnd(r['late']):>16}  {r['proposed_on']}")
        self.stdout.write(f"{len(rows)} proposed step(s)")

    def do_notices(self, o: dict[str, Any]) -> None:
        from sicollect.arrears.notices import batch

        for path in batch(_date(o["first"]), _date(o["last"]), Path(o["output"]), progress=True):
            self.stdout.write(str(path))

    def do_notice(self, o: dict[str, Any]) -> None:
        from sicollect.arrears.models import Notice
        from sicollect.arrears.notices import pdf_of

        items = list(Notice.objects.filter(unit__code=o["unit"]).select_related("unit", "office")
                     .order_by("issued_on", "id"))
        if not items:
            raise CommandError(f"no notice for unit {o['unit']!r}", returncode=2)
        Path(o["output"]).write_bytes(pdf_of(items[-1:] if o["latest"] else items))
        self.stdout.write(f"{o['output']}: {1 if o['latest'] else len(items)} notice(s)")

    def do_send(self, o: dict[str, Any]) -> None:
        from sicollect.arrears import delivery
        from sicollect.core.audit import cli_actor

        self._office(o["office"])
        issued_on = None
        if o["issued_on"]:
            try:
                issued_on = date.fromisoformat(o["issued_on"])
            except ValueError as exc:
                raise CommandError(f"--issued-on: expected YYYY-MM-DD, got {o['issued_on']!r}", returncode=2) from exc
        notices = delivery.notices_for(office=o["office"], issued_on=issued_on)
        try:
            report = delivery.send(notices, o["channel"], o["actor"] or cli_actor(), "cli: sicollect arrears send",
                                   resend=o["resend"], outbox=Path(o["outbox"]) if o["outbox"] else None,
                                   template_id=o["template"])
        except delivery.DeliveryError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        self.stdout.write(report.text())

    def do_delivery_report(self, o: dict[str, Any]) -> None:
        from sicollect.arrears import delivery
        from sicollect.core.audit import cli_actor
        from sicollect.exchange.rows import ImportErrors

        path = Path(o["file"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file", returncode=2)
        try:
            r = delivery.import_report(path, o["actor"] or cli_actor(), "cli: sicollect arrears delivery-report")
        except ImportErrors as exc:
            raise CommandError(f"nothing written:\n{exc}", returncode=2) from exc
        self.stdout.write(f"{r.updated} delivery status(es) updated, {r.unchanged} unchanged")

    def do_disclose(self, o: dict[str, Any]) -> None:
        from sicollect.arrears import disclosure
        from sicollect.arrears.models import Disclosure, DisclosureStatus

        from sicollect.core.audit import cli_actor
        from sicollect.registry.models import Unit

        as_of = _date(o["as_of"])
        what = o["what"]
        source = f"cli: sicollect arrears disclose {what}"
        unit = None
        if o["unit"]:
            unit = Unit.objects.filter(code=o["unit"]).first()
            if unit is None:
                raise CommandError(f"--unit: no unit {o['unit']!r}", returncode=2)
        if what == "nominate" and unit is not None:
            try:
                d = disclosure.do_nominate_unit(unit, as_of, cli_actor(), source, min_months=o["min_months"])
            except disclosure.DisclosureError as exc:
                raise CommandError(str(exc), returncode=2) from exc
            self.stdout.write(f"{unit.code}: candidate {d.pk}, {d.months_late} months late, "
                              f"{format_vnd(d.late_amount)} late")
        elif what == "nominate":
            from sicollect.staff.policy import scope_office_ids

            office = self._office(o["office"])
            ids = scope_office_ids(None, office) if office is not None else None
            n = disclosure.nominate(as_of, o["min_months"], office_ids=ids, actor=cli_actor(), source=source)
            self.stdout.write(f"{n} candidate(s) added")
        elif what == "delist":
            if unit is None:
                raise CommandError("--unit: the published unit to remove", returncode=2)
            entry = Disclosure.objects.filter(unit=unit, status=DisclosureStatus.PUBLISHED).select_related("unit").first()
            if entry is None:
                raise CommandError(f"{unit.code}: not on the published list", returncode=2)
            try:
                disclosure.do_delist(entry, o["reason"] or "", as_of, cli_actor(), source)
            except disclosure.DisclosureError as exc:
                raise CommandError(str(exc), returncode=2) from exc
            self.stdout.write(f"{unit.code}: removed from the published list on {as_of.isoformat()}")
        elif what in ("review", "publish"):
            if not o["manager"]:
                raise CommandError("--manager: the province manager who approves", returncode=2)
            if what == "review":
                ids = ([int(x) for x in o["ids"].split(",")] if o["ids"] else
                       list(Disclosure.objects.filter(status=DisclosureStatus.CANDIDATE).values_list("pk", flat=True)))
                self.stdout.write(json.dumps(disclosure.do_review(ids, o["manager"], as_of)))
            else:
                self.stdout.write(f"{disclosure.do_publish(as_of, o['manager'])} published")
        else:
            if not o["output"]:
                raise CommandError("-o FILE.xlsx", returncode=2)
            Path(o["output"]).write_bytes(disclosure.export_xlsx(as_of))
            self.stdout.write(o["output"])

    def do_inspection(self, o: dict[str, Any]) -> None:
        from sicollect.arrears.inspection import WEIGHTS, ranking

        rows = ranking(_date(o["as_of"]), o["limit"])
        if o["format"] == "json":
            self.stdout.write(json.dumps([r.as_dict() for r in rows], ensure_ascii=False))
            return
        self.stdout.write(f"{'unit':14} {'score':>6}  " + " ".join(f"{k:>9}" for k in WEIGHTS) + "  name")
        for r in rows:
            self.stdout.write(f"{r.unit:14} {r.score:6.2f}  " + " ".join(f"{r.parts[k]:9.2f}" for k in WEIGHTS)
                              + f"  {r.name}")

    def do_run(self, o: dict[str, Any]) -> None:
        from sicollect.arrears.bulk import run

        as_of = _date(o["as_of"])
        out = run(as_of, o["officer"], Path(o["output"]) if o["output"] else None,
                  progress=not o["no_progress"], write=self.stdout.write)
        self.stdout.write(out.text())

    def do_numbers(self, o: dict[str, Any]) -> None:
        from sicollect.arrears.numbers import enforcement_numbers

        self.stdout.write(json.dumps(enforcement_numbers(_date(o["first"]), _date(o["last"])),
                                     ensure_ascii=False, indent=2))
