"""Interdisciplinary working groups (đoàn liên ngành): members, units, visits and their outcomes.

An outcome may call for a change of the unit's status (a unit not found at its
address → ``missing``): the visit records the proposal; an officer applies it
with :func:`do_apply_status`, and the next sync then moves the case to class IV.
A ``committed`` outcome records the installment schedule; ``refused`` waives the
case's waiting periods so the ladder moves on (inspection, disclosure).
"""
from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction

from sicollect.registry.models import Office, Unit, UnitStatus

from .cases import open_case
from .commitments import do_commit
from .models import CaseEvent, Outcome, Visit, WorkingGroup

STATUS_OF_OUTCOME = {Outcome.NOT_FOUND: UnitStatus.MISSING}


def do_form_group(name: str, office: Office, chair: str, agencies: list[str], formed_on: date,
                  units: list[Unit] | None = None) -> WorkingGroup:
    with transaction.atomic():
        g = WorkingGroup.objects.create(name=name, office=office, chair=chair, agencies=list(agencies),
                                        formed_on=formed_on)
        if units:
            g.units.add(*units)
    return g


def do_plan_visit(group: WorkingGroup, unit: Unit, on: date, actor: str = "") -> Visit:
    with transaction.atomic():
        group.units.add(unit)
        case = open_case(unit.pk)
        v = Visit.objects.create(group=group, unit=unit, case=case, planned_on=on)
        if case:
            CaseEvent.objects.create(case=case, on=on, kind="visit_planned", actor=actor, text=group.name)
    return v


def do_record_visit(visit: Visit, done_on: date, outcome: str, minutes: str, actor: str,
                    schedule: list[tuple[date, int]] | None = None) -> Visit:
    if outcome not in Outcome.values:
        raise ValueError(f"unknown outcome {outcome!r}")
    if outcome == Outcome.COMMITTED and not schedule:
        raise ValueError("a commitment needs its schedule")
    with transaction.atomic():
        visit.done_on, visit.outcome, visit.minutes = done_on, outcome, minutes
        visit.proposed_status = STATUS_OF_OUTCOME.get(Outcome(outcome), "")
        visit.save()
        case = visit.case or open_case(visit.unit_id)
        if case:
            CaseEvent.objects.create(case=case, on=done_on, kind="visit", actor=actor, text=minutes,
                                     data={"outcome": outcome, "proposed_status": visit.proposed_status})
            if outcome == Outcome.COMMITTED and schedule:
                do_commit(case, done_on, schedule, actor)
            if outcome == Outcome.REFUSED:
                case.escalate_from = done_on
                case.save(update_fields=["escalate_from"])
    return visit


def do_apply_status(visit: Visit, actor: str) -> Unit:
    """Apply the status change a visit proposed (the officer's confirmation)."""
    if not visit.proposed_status:
        raise ValueError("the visit proposes no status change")
    with transaction.atomic():
        unit = visit.unit
        old = unit.status
        unit.status = visit.proposed_status
        unit.save(update_fields=["status"])
        if visit.case_id:
            CaseEvent.objects.create(case_id=visit.case_id, on=visit.done_on or date.today(), kind="status_change",
                                     actor=actor, data={"from": old, "to": unit.status})
    return unit


def summary(first: date, last: date, office_ids: Any = None) -> dict[str, Any]:
    groups = WorkingGroup.objects.filter(formed_on__lte=last).exclude(dissolved_on__lt=first).select_related("office")
    visits = Visit.objects.filter(done_on__gte=first, done_on__lte=last)
    planned = Visit.objects.filter(planned_on__gte=first, planned_on__lte=last)
    if office_ids is not None:
        groups = groups.filter(office_id__in=list(office_ids))
        visits = visits.filter(unit__office_id__in=list(office_ids))
        planned = planned.filter(unit__office_id__in=list(office_ids))
    by_outcome = {o: visits.filter(outcome=o).count() for o in Outcome.values}
    return {
        "working_groups": groups.count(),
        "working_groups_province": sum(1 for g in groups if g.office.parent_id is None),
        "working_groups_grassroots": sum(1 for g in groups if g.office.parent_id is not None),
        "visits_planned": planned.count(),
        "visits_done": visits.count(),
        "visits_by_outcome": by_outcome,
        "units_visited": visits.values("unit_id").distinct().count(),
    }
