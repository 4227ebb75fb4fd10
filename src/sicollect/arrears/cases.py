"""Cases: opened, updated and closed by a set-based sync after the monthly close.

The debt figures come from one SQL aggregate over the ledger (``reports.kpi.DEBT_SQL``:
per unit the outstanding principal, its late part and the oldest late amount's
``late_from``); the sync then writes with bulk statements. No per-unit query.

Rules:

* a unit with interest-bearing debt (late > 0) and no open case → a case is opened;
* an open case is updated with the unit's figures as of the sync day;
* an open case whose unit has no late debt any more → closed, reason ``paid``;
* an open case whose debt falls in class IV (unit missing, dissolving, dissolved,
  bankrupt, suspended) → closed, reason ``class_iv`` (hard-to-collect debts are
  handled outside the ladder); no case is opened for such a unit.

Worked example (tests/arrears/test_cases.py): one person in HI only at a wage of
10,000,000 from Jul 2025 owes 4.5 % = 450,000 a month, due by the end of the
next month. Nothing paid: on 31 Oct 2025 July (due 31 Aug) and August (due
30 Sep) are late, 900,000; the oldest is 2 whole months and 61 days late
(1 Sep … 31 Oct); September and October are outstanding but not late, so the
outstanding total is 1,800,000 and the case shows class II.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import connection, transaction

from sicollect.close.aging import class_of, load_bands
from sicollect.close.steps import Closed
from sicollect.contributions.debts import DEBT_SQL, Scope, months_late
from sicollect.core.bulk import update_rows

from .models import Case, CaseEvent, CaseStep, Commitment, CommitmentStatus, StepStatus

CLASS_IV = "IV"


@dataclass(frozen=True)
class Debt:
    unit_id: int
    status: str
    outstanding: int
    late: int
    oldest_late_from: date | None

    def months_late(self, as_of: date) -> int:
        if not self.late or self.oldest_late_from is None:
            return 0
        return months_late(self.oldest_late_from.fromordinal(self.oldest_late_from.toordinal() - 1), as_of)

    def days_late(self, as_of: date) -> int:
        if not self.late or self.oldest_late_from is None:
            return 0
        return (as_of - self.oldest_late_from).days + 1


def _as_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def debts(as_of: date, scope: Scope | None = None, unit_ids: list[int] | None = None) -> dict[int, Debt]:
    """Every unit (in ``scope``, or of ``unit_ids``) with outstanding principal on ``as_of``: one SQL aggregate."""
    where, params = (scope or Scope(None)).unit_filter()
    if unit_ids is not None:
        where = f"{where} AND u.id IN ({', '.join(['%s'] * len(unit_ids))})" if unit_ids else "1 = 0"
        params = [*params, *unit_ids]
    x = as_of.isoformat()
    with connection.cursor() as cur:
        cur.execute(DEBT_SQL.format(where=where), [x, x, *params])
        return debts_from_rows(cur.fetchall())


def debts_from_rows(rows: Iterable[tuple[Any, ...]]) -> dict[int, Debt]:
    """``Debt`` per unit from rows of (unit_id, status, outstanding, late, oldest late-from date), as the
    ledger's debt query gives them or the close computed them (``MonthEndDebts.rows``)."""
    return {
        unit_id: Debt(unit_id, status, int(out or 0), int(late or 0), _as_date(oldest))
        for unit_id, status, out, late, oldest in rows
        if out or late
    }


@dataclass
class SyncSummary:
    opened: int = 0
    updated: int = 0
    closed_paid: int = 0
    closed_class_iv: int = 0
    open_cases: int = 0
    by_class: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def sync(as_of: date, owed: dict[int, Debt] | None = None) -> SyncSummary:
    """Open, update and close cases from the ledger as of ``as_of`` (idempotent). ``owed``: every unit's
    debt on that day when the caller has it (the close computed it); else read from the ledger."""
    _, classes = load_bands()
    summary = SyncSummary()
    with transaction.atomic():
        if owed is None:
            owed = debts(as_of)
        open_cases = {c.unit_id: c for c in Case.objects.select_for_update().filter(closed_on__isnull=True)}
        new: list[Case] = []
        changed: list[Case] = []
        closing: list[tuple[Case, str]] = []
        for unit_id, d in owed.items():
            if d.late <= 0:
                continue
            months = d.months_late(as_of)
            klass = class_of(months, d.status, classes)
            case = open_cases.get(unit_id)
            if klass.startswith(CLASS_IV):
                if case is not None:
                    _fill(case, d, as_of, months, klass)
                    closing.append((case, "class_iv"))
                continue
            if case is None:
                case = Case(unit_id=unit_id, opened_on=as_of)
                _fill(case, d, as_of, months, klass)
                new.append(case)
            else:
                if case.as_of > as_of:
                    continue  # a later sync already ran; never move a case back in time
                _fill(case, d, as_of, months, klass)
                changed.append(case)
        for unit_id, case in open_cases.items():
            d = owed.get(unit_id)
            if (d is None or d.late <= 0) and case.as_of <= as_of:
                case.late_amount, case.months_late, case.days_late = 0, 0, 0
                case.outstanding = d.outstanding if d else 0
                case.as_of = as_of
                closing.append((case, "paid"))
        Case.objects.bulk_create(new)
        fields = ["as_of", "late_amount", "outstanding", "months_late", "days_late", "debt_class", "max_late_amount"]
        update_rows(Case, changed, fields)
        for case, reason in closing:
            case.closed_on, case.close_reason = as_of, reason
        update_rows(Case, [c for c, _ in closing], [*fields, "closed_on", "close_reason"])
        closed_ids = [c.pk for c, _ in closing]
        CaseStep.objects.filter(case_id__in=closed_ids, status=StepStatus.PROPOSED).update(status=StepStatus.CANCELLED)
        Commitment.objects.filter(case_id__in=closed_ids, status=CommitmentStatus.ACTIVE).update(
            status=CommitmentStatus.KEPT, ended_on=as_of)
        if new and not new[0].pk:  # SQLite before 3.35 gives no ids back from bulk_create
            new = list(Case.objects.filter(closed_on__isnull=True, opened_on=as_of, unit_id__in=[c.unit_id for c in new]))
        events = [CaseEvent(case=c, on=as_of, kind="opened", data=_figures(c)) for c in new]
        events += [CaseEvent(case=c, on=as_of, kind=f"closed_{r}", data=_figures(c)) for c, r in closing]
        CaseEvent.objects.bulk_create(events, batch_size=500)
        summary.opened, summary.updated = len(new), len(changed)
        summary.closed_paid = sum(1 for _, r in closing if r == "paid")
        summary.closed_class_iv = sum(1 for _, r in closing if r == "class_iv")
        for c in [*new, *changed]:
            summary.by_class[c.debt_class] = summary.by_class.get(c.debt_class, 0) + 1
        summary.open_cases = len(new) + len(changed) + sum(
            1 for uid, c in open_cases.items() if c.as_of > as_of)
        # a unit that paid leaves the public list; a class IV one stays on it until it pays
        _drop_paid_disclosures(as_of, [c.pk for c, r in closing if r == "paid"])
    return summary


def _fill(case: Case, d: Debt, as_of: date, months: int, klass: str) -> None:
    case.as_of = as_of
    case.late_amount, case.outstanding = d.late, d.outstanding
    case.months_late, case.days_late, case.debt_class = months, d.days_late(as_of), klass
    case.max_late_amount = max(case.max_late_amount or 0, d.late)


def _figures(c: Case) -> dict[str, Any]:
    return {"late_amount": c.late_amount, "outstanding": c.outstanding, "months_late": c.months_late,
            "debt_class": c.debt_class}


def _drop_paid_disclosures(as_of: date, closed_case_ids: list[int]) -> None:
    from .disclosure import remove_closed

    remove_closed(as_of, closed_case_ids)


def close_step(closed: Closed) -> dict[str, Any]:
    """The arrears step of every close (``close.steps``, registered in ``arrears.apps``): :func:`after_close` at
    the last day closed, from the debts the engine computed for it (``MonthEndDebts.rows``) when it kept
    them, else from the ledger."""
    rows = getattr(closed.debts, "rows", None)
    owed = debts_from_rows(rows(closed.as_of)) if rows is not None and closed.as_of in closed.debts else None
    return after_close(closed.as_of, owed)


def after_close(as_of: date, owed: dict[int, Debt] | None = None) -> dict[str, Any]:
    """What the monthly close runs at the end of its transaction: sync cases (from ``owed``, the debts
    the close computed for ``as_of``, when given), check commitments, mark promises to pay kept or
    broken (``followups.check_promises``), propose the next steps. Returns the four summaries."""
    from .commitments import check_commitments
    from .followups import check_promises
    from .ladder import propose

    synced = sync(as_of, owed)
    checked = check_commitments(as_of)
    promises = check_promises(as_of)
    proposed = propose(as_of)
    return {"cases": synced.as_dict(), "commitments": checked, "promises": promises,
            "proposals": proposed.as_dict()}


def do_assign(case_ids: list[int], officer: Any, actor: str = "") -> int:
    """Assign an officer (a user) to cases, with an event each."""
    with transaction.atomic():
        n = Case.objects.filter(pk__in=case_ids).update(officer=officer)
        name = getattr(officer, "username", "") if officer is not None else ""
        CaseEvent.objects.bulk_create(
            [CaseEvent(case_id=pk, on=date.today(), kind="assigned", actor=actor, text=name) for pk in case_ids])
    return n


def do_add_note(case: Case, author: str, text: str, on: date | None = None, attachment: Any = None) -> CaseEvent:
    """A note on the case, with an optional attached file (an uploaded ``File``), and its event."""
    from .models import CaseNote

    with transaction.atomic():
        note = CaseNote(case=case, author=author, text=text)
        if attachment is not None:
            note.attachment.save(attachment.name, attachment, save=False)
        note.save()
        data = {"note": note.pk, "attachment": note.attachment.name.rsplit("/", 1)[-1]} if attachment else {}
        return CaseEvent.objects.create(case=case, on=on or date.today(), kind="note", actor=author, text=text,
                                        data=data)


def open_case(unit_id: int) -> Case | None:
    return Case.objects.filter(unit_id=unit_id, closed_on__isnull=True).first()
