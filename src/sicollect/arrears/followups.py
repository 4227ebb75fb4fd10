"""The follow-up log: contacts with a unit about its debt, promises to pay, next actions.

Every entry is written by :func:`do_log_followup` — the one action behind the web form
(unit and case pages), ``POST /api/arrears/followups`` — which validates the whole entry first
(nothing written on a bad field), closes the unit's earlier open next actions, writes a
``contact`` event on the unit's open case and one ``exchange.AuditEvent``.

After the close (``cases.after_close``), :func:`check_promises` marks each promise whose date
has come: **kept** when the unit's payments posted to the ledger from the contact day to the
promise date (both inclusive) reach the amount, else **broken**. The ladder (``ladder.propose``)
then:

* holds a case while a promise on its unit is pending and not yet due (as for an installment
  commitment);
* waives the waiting periods of a case whose promise was broken (``Case.escalate_from`` = the
  check day), and marks the steps it proposes ``reason="broken_promise"``;
* marks the steps it proposes for a case whose unit has an overdue next action (date before the
  proposal day, no later contact) ``reason="overdue_action"``.

Worked example (tests/arrears/test_followups.py): HI unit owing 450,000 a month from Jul 2025.
On 5 Oct 2025 the officer calls; the director promises 900,000 by 25 Oct. The unit pays 500,000
on 20 Oct: at the October close (31 Oct) 500,000 < 900,000, the promise is broken, and the
LATE_NOTICE that would have been proposed anyway comes with the reason ``broken_promise``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, Sum
from django.utils.translation import gettext_noop

from sicollect.contributions.models import LedgerEntry, Payment
from sicollect.core import audit
from sicollect.core.audit import actor_name
from sicollect.registry.models import Unit

from .models import Case, CaseEvent, ContactKind, ContactOutcome, FollowUp, PromiseStatus

MAX_NOTE = 4000
MAX_DONG = 10**15


class FollowUpError(ValueError):
    """A follow-up entry that cannot be saved: ``fields`` maps each bad field to its reason."""

    def __init__(self, fields: dict[str, str]):
        self.fields = fields
        super().__init__("; ".join(f"{k}: {v}" for k, v in fields.items()))


@dataclass
class Entry:
    kind: str
    contacted_on: date | None
    outcome: str
    contact_name: str = ""
    note: str = ""
    promise_amount: int | None = None
    promise_date: date | None = None
    next_action: str = ""
    next_action_on: date | None = None
    errors: dict[str, str] = field(default_factory=dict)


def validate(e: Entry, today: date | None = None) -> dict[str, str]:
    """Every reason the entry cannot be saved, by field (empty: it can)."""
    today = today or date.today()
    err = dict(e.errors)
    if e.kind not in ContactKind.values:
        err.setdefault("kind", gettext_noop("one of call, visit, letter, email"))
    if e.outcome not in ContactOutcome.values:
        err.setdefault("outcome", gettext_noop("one of reached, promised, no_answer, refused, wrong_contact"))
    if e.contacted_on is None:
        err.setdefault("contacted_on", gettext_noop("a date YYYY-MM-DD is required"))
    elif e.contacted_on > today:
        err.setdefault("contacted_on", gettext_noop("cannot be in the future"))
    if len(e.note) > MAX_NOTE:
        err.setdefault("note", gettext_noop("at most 4000 characters"))
    if len(e.contact_name) > 200:
        err.setdefault("contact_name", gettext_noop("at most 200 characters"))
    if len(e.next_action) > 200:
        err.setdefault("next_action", gettext_noop("at most 200 characters"))
    if (e.promise_amount is None) != (e.promise_date is None):
        err.setdefault("promise_date" if e.promise_date is None else "promise_amount",
                       gettext_noop("a promise needs both an amount and a date"))
    if e.promise_amount is not None and not 0 < e.promise_amount <= MAX_DONG:
        err.setdefault("promise_amount", gettext_noop("a positive amount in đồng"))
    if e.promise_date is not None and e.contacted_on is not None and e.promise_date < e.contacted_on:
        err.setdefault("promise_date", gettext_noop("cannot be before the contact"))
    if e.outcome == ContactOutcome.PROMISED and e.promise_amount is None and "promise_amount" not in err:
        err.setdefault("promise_amount", gettext_noop("the outcome 'promised' needs a promise (amount and date)"))
    if bool(e.next_action.strip()) != (e.next_action_on is not None):
        err.setdefault("next_action_on" if e.next_action_on is None else "next_action",
                       gettext_noop("the next action needs both a text and a date"))
    if e.next_action_on is not None and e.contacted_on is not None and e.next_action_on < e.contacted_on:
        err.setdefault("next_action_on", gettext_noop("cannot be before the contact"))
    return err


def do_log_followup(unit: Unit, officer: Any, e: Entry, source: str, case: Case | None = None) -> FollowUp:
    """Log one contact with ``unit`` as ``officer`` (a user, or a name); audited. Raises
    :class:`FollowUpError` naming every bad field, with nothing written."""
    err = validate(e)
    if case is not None and case.unit_id != unit.pk:
        err["case"] = gettext_noop("not a case of this unit")
    if err:
        raise FollowUpError(err)
    who = actor_name(officer)
    with transaction.atomic():
        if case is None:
            case = Case.objects.filter(unit=unit, closed_on__isnull=True).first()
        FollowUp.objects.filter(unit=unit, action_closed_on__isnull=True, next_action_on__isnull=False).update(
            action_closed_on=e.contacted_on)
        fu = FollowUp.objects.create(
            unit=unit, case=case, kind=e.kind, contacted_on=e.contacted_on,
            officer=officer if getattr(officer, "pk", None) else None, actor=who,
            contact_name=e.contact_name.strip(), outcome=e.outcome, note=e.note.strip(),
            promise_amount=e.promise_amount, promise_date=e.promise_date,
            promise_status=PromiseStatus.PENDING if e.promise_amount else PromiseStatus.NONE,
            next_action=e.next_action.strip(), next_action_on=e.next_action_on)
        data = as_dict(fu)
        if case is not None:
            CaseEvent.objects.create(case=case, on=e.contacted_on, kind="contact", actor=who,
                                     text=fu.note[:500], data={"followup": fu.pk, "contact": fu.kind,
                                                               "outcome": fu.outcome,
                                                               "promise_amount": fu.promise_amount,
                                                               "promise_date": data["promise_date"]})
        audit.record("log_followup", who, "followup", fu.pk, unit_code=unit.code, before=None, after=data,
                          source=source)
    return fu


def as_dict(fu: FollowUp) -> dict[str, Any]:
    iso = (lambda d: d.isoformat() if d else None)  # noqa: E731
    return {"id": fu.pk, "unit": fu.unit.code, "case": fu.case_id, "kind": fu.kind,
            "contacted_on": iso(fu.contacted_on), "officer": fu.actor, "contact_name": fu.contact_name,
            "outcome": fu.outcome, "note": fu.note, "promise_amount": fu.promise_amount,
            "promise_date": iso(fu.promise_date), "promise_status": fu.promise_status,
            "promise_paid": fu.promise_paid, "promise_checked_on": iso(fu.promise_checked_on),
            "next_action": fu.next_action, "next_action_on": iso(fu.next_action_on),
            "action_closed_on": iso(fu.action_closed_on)}


def check_promises(as_of: date) -> dict[str, int]:
    """Mark every pending promise due by ``as_of`` kept or broken from the payments the ledger has
    posted between the contact and the promise date; a broken one waives the waiting periods of
    the unit's open case from ``as_of``. One aggregate of payments; idempotent."""
    out = {"kept": 0, "broken": 0, "pending": 0}
    with transaction.atomic():
        due = list(FollowUp.objects.select_for_update().filter(promise_status=PromiseStatus.PENDING,
                                                              promise_date__lte=as_of))
        out["pending"] = FollowUp.objects.filter(promise_status=PromiseStatus.PENDING,
                                                 promise_date__gt=as_of).count()
        if not due:
            return out
        first = min(f.contacted_on for f in due)
        last = max(f.promise_date for f in due if f.promise_date)
        posted = Exists(LedgerEntry.objects.filter(payment_id=OuterRef("pk")))
        paid: dict[int, list[tuple[date, int]]] = {}
        for unit_id, day, total in (Payment.objects.filter(unit_id__in={f.unit_id for f in due},
                                                           paid_on__gte=first, paid_on__lte=last)
                                    .filter(posted).values_list("unit_id", "paid_on")
                                    .annotate(t=Sum("amount")).order_by()):
            paid.setdefault(unit_id, []).append((day, int(total)))
        open_cases = {c.unit_id: c for c in Case.objects.filter(unit_id__in={f.unit_id for f in due},
                                                                closed_on__isnull=True)}
        events = []
        for f in due:
            got = sum(a for d, a in paid.get(f.unit_id, []) if f.contacted_on <= d <= f.promise_date)
            kept = got >= (f.promise_amount or 0)
            f.promise_status = PromiseStatus.KEPT if kept else PromiseStatus.BROKEN
            f.promise_paid, f.promise_checked_on = got, as_of
            f.save(update_fields=["promise_status", "promise_paid", "promise_checked_on"])
            out["kept" if kept else "broken"] += 1
            case = open_cases.get(f.unit_id)
            if case is None:
                continue
            if not kept and (case.escalate_from is None or case.escalate_from > as_of):
                case.escalate_from = as_of
                case.save(update_fields=["escalate_from"])
            events.append(CaseEvent(case=case, on=as_of, kind="promise_kept" if kept else "promise_broken",
                                    data={"followup": f.pk, "promised": f.promise_amount, "paid": got,
                                          "promise_date": f.promise_date.isoformat()}))
        CaseEvent.objects.bulk_create(events)
    return out


def ladder_signals(as_of: date) -> tuple[set[int], set[int], set[int]]:
    """Unit ids with (a pending promise not yet due, a promise broken since the case's last
    confirmed step, an overdue next action) on ``as_of``: what ``ladder.propose`` reads."""
    holding = set(FollowUp.objects.filter(promise_status=PromiseStatus.PENDING, promise_date__gte=as_of,
                                          contacted_on__lte=as_of).values_list("unit_id", flat=True))
    broken = _broken_since_escalation(as_of)
    overdue = set(FollowUp.objects.filter(action_closed_on__isnull=True, next_action_on__lt=as_of)
                  .values_list("unit_id", flat=True))
    return holding, broken, overdue


def _broken_since_escalation(as_of: date) -> set[int]:
    """Units whose open case's waiting periods a broken promise waived (checked on the day the
    waiver starts): their next proposals say ``broken_promise``."""
    return set(FollowUp.objects.filter(promise_status=PromiseStatus.BROKEN, promise_checked_on__lte=as_of,
                                       unit__arrears_cases__closed_on__isnull=True,
                                       unit__arrears_cases__escalate_from=F("promise_checked_on"))
               .values_list("unit_id", flat=True))


def overdue_actions(units: Any, as_of: date) -> Any:
    """Open next actions due before ``as_of`` of ``units`` (a queryset), oldest first."""
    return (FollowUp.objects.filter(unit__in=units, action_closed_on__isnull=True, next_action_on__lt=as_of)
            .select_related("unit").order_by("next_action_on", "unit__code"))


def q_open_action() -> Q:
    return Q(action_closed_on__isnull=True, next_action_on__isnull=False)
