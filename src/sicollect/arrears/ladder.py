"""The escalation ladder: propose the next steps for every open case, confirm them in bulk.

The ladder is data (:class:`LadderStep` rows, seeded by migration 0002 with the
default of issue 6). ``propose(as_of)`` looks at every open case once and adds a
*proposed* :class:`CaseStep` for each step that is due and not yet live on the
case; rerunning adds nothing. ``confirm(ids, officer)`` confirms proposals; a
document step issues its notice (``notices.issue``), the disclosure step puts the
unit on the candidate list for the province manager's review.

Worked example (tests/arrears/test_ladder.py), the HI unit owing 450,000 a month
from Jul 2025 and paying nothing: on 30 Sep 2025 July is 30 days late →
NOTICE; confirmed that day, on 31 Oct 2025 July is 2 whole months late →
LATE_NOTICE (≥ 1 month, NOTICE done); confirmed on 31 Oct, URGING (≥ 2 months)
waits 15 days after it: proposed on 30 Nov, not on 31 Oct.

A case with an active installment commitment is not escalated; a broken one sets
``Case.escalate_from`` and from that day the waiting periods no longer hold the
case back. The follow-up log (``followups``) feeds it the same way: a pending promise
to pay holds the case until its date, a broken one waives the waiting periods, and the
proposals say why (``CaseStep.reason``: ``broken_promise`` or ``overdue_action``).

A case climbs at most one rung a day: a step whose required step was confirmed on
the proposal day itself is not proposed that day (even with ``wait_days`` 0 or a
waiver), so proposing and confirming again over the same day adds nothing — the
bulk run (``sicollect arrears run``) can be rerun without a second document.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db import transaction

from sicollect.core import audit
from sicollect.core.audit import actor_name

from .models import (
    Case,
    CaseEvent,
    CaseStep,
    Commitment,
    CommitmentStatus,
    LadderStep,
    StepKind,
    StepStatus,
)


def is_due(step: LadderStep, case: Case, confirmed: dict[int, date], as_of: date) -> bool:
    """Whether ``step``'s conditions hold for ``case`` (``confirmed``: step id → day confirmed)."""
    if step.min_days_late is not None and case.days_late < step.min_days_late:
        return False
    months_ok = step.min_months_late is None or case.months_late >= step.min_months_late
    amount_ok = step.min_amount is None or case.late_amount >= step.min_amount
    if step.amount_or_months and step.min_amount is not None and step.min_months_late is not None:
        if not (months_ok or amount_ok):
            return False
    elif not (months_ok and amount_ok):
        return False
    if step.debt_classes:
        prefixes = [p.strip() for p in step.debt_classes.split(",") if p.strip()]
        if not any(case.debt_class.startswith(p) for p in prefixes):
            return False
    if step.requires_id is not None:
        done = confirmed.get(step.requires_id)
        if done is None or done >= as_of:
            return False
        waived = case.escalate_from is not None and case.escalate_from <= as_of
        if not waived and done + timedelta(days=step.wait_days) > as_of:
            return False
    return True


@dataclass
class ProposeSummary:
    cases: int = 0
    proposed: int = 0
    held_by_commitment: int = 0
    held_by_promise: int = 0
    by_step: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def propose(as_of: date) -> ProposeSummary:
    """Propose every due step for every open case (idempotent)."""
    from .followups import ladder_signals

    summary = ProposeSummary()
    steps = list(LadderStep.objects.filter(active=True).order_by("order"))
    with transaction.atomic():
        promised, broken, overdue = ladder_signals(as_of)
        cases = list(Case.objects.filter(closed_on__isnull=True, as_of__lte=as_of))
        held = set(Commitment.objects.filter(case__closed_on__isnull=True, status=CommitmentStatus.ACTIVE)
                   .values_list("case_id", flat=True))
        live: dict[int, set[int]] = defaultdict(set)
        confirmed: dict[int, dict[int, date]] = defaultdict(dict)
        for case_id, step_id, status, on in (CaseStep.objects.filter(case__closed_on__isnull=True)
                                             .exclude(status=StepStatus.CANCELLED)
                                             .values_list("case_id", "step_id", "status", "confirmed_on")):
            live[case_id].add(step_id)
            if status == StepStatus.CONFIRMED and on is not None:
                confirmed[case_id][step_id] = on
        rows: list[CaseStep] = []
        for case in cases:
            summary.cases += 1
            if case.pk in held:
                summary.held_by_commitment += 1
                continue
            if case.unit_id in promised:
                summary.held_by_promise += 1
                continue
            reason = ("broken_promise" if case.unit_id in broken
                      else "overdue_action" if case.unit_id in overdue else "")
            for step in steps:
                if step.pk in live[case.pk] or not is_due(step, case, confirmed[case.pk], as_of):
                    continue
                rows.append(CaseStep(case=case, step=step, proposed_on=as_of, late_amount=case.late_amount,
                                     months_late=case.months_late, reason=reason))
                summary.by_step[step.code] = summary.by_step.get(step.code, 0) + 1
        CaseStep.objects.bulk_create(rows, batch_size=500)
        CaseEvent.objects.bulk_create(
            [CaseEvent(case=r.case, on=as_of, kind="proposed", text=r.step.code,
                       data={"late_amount": r.late_amount, "months_late": r.months_late,
                             **({"reason": r.reason} if r.reason else {})}) for r in rows],
            batch_size=500)
        summary.proposed = len(rows)
    return summary


@dataclass
class ConfirmSummary:
    confirmed: int = 0
    notices: int = 0
    disclosures: int = 0
    skipped: list[str] = field(default_factory=list)
    confirmed_ids: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def confirm(ids: list[int], officer: Any, on: date | None = None, progress: bool = False) -> ConfirmSummary:
    """Confirm the proposed steps ``ids`` as ``officer``; issues their documents. Others are skipped
    with the reason (already confirmed, cancelled, case closed)."""
    from .disclosure import propose_disclosure
    from .notices import issue

    who = actor_name(officer)
    if not who:
        raise ValueError("an officer must confirm")
    summary = ConfirmSummary()
    with transaction.atomic():
        found = {s.pk: s for s in CaseStep.objects.select_for_update().select_related("case", "step", "case__unit")
                 .filter(pk__in=ids)}
        for pk in _progress(ids, progress, "confirm"):
            cs = found.get(pk)
            if cs is None:
                summary.skipped.append(f"{pk}: no such step")
                continue
            if cs.status != StepStatus.PROPOSED:
                summary.skipped.append(f"{pk}: {cs.status}")
                continue
            if cs.case.closed_on is not None:
                summary.skipped.append(f"{pk}: case closed")
                continue
            day = on or cs.case.as_of
            cs.status, cs.confirmed_on, cs.confirmed_by = StepStatus.CONFIRMED, day, who
            cs.save(update_fields=["status", "confirmed_on", "confirmed_by"])
            CaseEvent.objects.create(case=cs.case, on=day, kind="confirmed", actor=who, text=cs.step.code)
            summary.confirmed += 1
            summary.confirmed_ids.append(cs.pk)
            if cs.step.kind == StepKind.DOCUMENT:
                issue(cs, day)
                summary.notices += 1
            elif cs.step.code == "DISCLOSURE":
                propose_disclosure(cs.case, day)
                summary.disclosures += 1
    return summary


def do_confirm_steps(ids: list[int], officer: Any, source: str, on: date | None = None,
                     progress: bool = False) -> ConfirmSummary:
    """Confirm proposed steps and write one audit row (``core.audit``) per confirmed step.

    The one action behind ``sicollect arrears confirm``, the web worklist's bulk confirm and
    ``POST /api/arrears/steps/confirm``; ``source`` says which (e.g. ``API POST /api/…``)."""
    with transaction.atomic():
        s = confirm(ids, officer, on, progress)
        if s.confirmed_ids:
            rows = {cs.pk: cs for cs in CaseStep.objects.select_related("case__unit", "step", "notice")
                    .filter(pk__in=s.confirmed_ids)}
            audit.record_many([
                audit.event("confirm_case_step", actor_name(officer), "case_step", pk,
                            before={"status": StepStatus.PROPOSED},
                            after={"status": StepStatus.CONFIRMED, "confirmed_on": rows[pk].confirmed_on.isoformat()},
                            case=rows[pk].case_id, unit=rows[pk].case.unit.code, step=rows[pk].step.code,
                            notice=getattr(getattr(rows[pk], "notice", None), "number", None), source=source)
                for pk in s.confirmed_ids])
    return s


def _progress(items: list[int], on: bool, what: str) -> Any:
    if not on:
        return items
    from tqdm import tqdm

    return tqdm(items, desc=what, unit="step")


def proposals(as_of: date | None = None, office: Any = None, step: str | None = None) -> Any:
    qs = (CaseStep.objects.filter(status=StepStatus.PROPOSED, case__closed_on__isnull=True)
          .select_related("case__unit", "step").order_by("step__order", "case__unit__code"))
    if as_of is not None:
        qs = qs.filter(proposed_on__lte=as_of)
    if office is not None:
        qs = qs.filter(case__unit__office=office)
    if step:
        qs = qs.filter(step__code=step)
    return qs


def top_step_code() -> Any:
    """A subquery: the code of the highest step confirmed on the outer case ('' when none)."""
    from django.db.models import OuterRef, Subquery

    return Subquery(CaseStep.objects.filter(case=OuterRef("pk"), status=StepStatus.CONFIRMED)
                    .order_by("-step__order").values("step__code")[:1])


def cases_by_step(cases: Any = None) -> dict[str, int]:
    """Open cases (of ``cases``, default all) by the highest confirmed step ('' for none yet),
    in one aggregate query."""
    from django.db.models import Count, Value
    from django.db.models.functions import Coalesce

    qs = (cases if cases is not None else Case.objects.all()).filter(closed_on__isnull=True)
    rows = (qs.annotate(top=Coalesce(top_step_code(), Value(""))).values("top")
            .annotate(n=Count("id")).order_by())
    return {r["top"]: r["n"] for r in rows}
