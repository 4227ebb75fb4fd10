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

from sicollect.core import audit, domain
from sicollect.registry.models import Office, Unit, UnitStatus

from .cases import open_case
from .commitments import do_commit
from .models import CaseEvent, Outcome, Visit, WorkingGroup, WorkingGroupMember

STATUS_OF_OUTCOME = {Outcome.NOT_FOUND: UnitStatus.MISSING}


def do_form_group(name: str, office: Office, chair: str, agencies: list[str], formed_on: date,
                  units: list[Unit] | None = None) -> WorkingGroup:
    with transaction.atomic():
        g = WorkingGroup.objects.create(name=name, office=office, chair=chair, agencies=list(agencies),
                                        formed_on=formed_on)
        if units:
            g.units.add(*units)
    return g


# the partner agencies a group is formed from (Decree 274/2025 and the provinces' coordination rules); the SI
# office chairs and is always a member
SI_AGENCY = "Bảo hiểm xã hội"
PARTNER_AGENCIES = (
    "Sở Nội vụ",
    "Sở Lao động - Thương binh và Xã hội",
    "Thuế tỉnh",
    "Công an tỉnh",
    "Liên đoàn Lao động tỉnh",
    "Thanh tra tỉnh",
    "Sở Tài chính",
    "Sở Y tế",
    "Ủy ban nhân dân cấp xã",
)


class GroupError(ValueError):
    """Bad input to a working-group action: ``fields`` maps a field to (reason, its parameters); the reason
    is an English text the web app translates. Nothing was written."""

    def __init__(self, fields: dict[str, tuple[str, dict[str, Any]]]):
        self.fields = fields
        super().__init__("; ".join(f"{k}: {r % p}" for k, (r, p) in fields.items()))


def _text(errors: dict[str, tuple[str, dict[str, Any]]], field: str, value: Any, required: bool = True) -> str:
    try:
        return domain.text(value, max_length=200, required=required)
    except domain.DomainError as exc:
        errors[field] = ("required", {}) if str(exc) == "required" else ("%(reason)s", {"reason": str(exc)})
        return ""


def do_create_group(name: str, office: Office, chair: str, agencies: list[str], formed_on: date | None,
                    actor: str, source: str = "") -> WorkingGroup:
    """A manager forms a group in the app or on the command line: a name, a chair, at least one partner
    agency (:data:`PARTNER_AGENCIES`), the day it is formed. Checked whole, audited, all or nothing."""
    errors: dict[str, tuple[str, dict[str, Any]]] = {}
    name = _text(errors, "name", name)
    chair = _text(errors, "chair", chair)
    chosen = [a.strip() for a in agencies if a.strip()]
    unknown = [a for a in chosen if a not in PARTNER_AGENCIES]
    if unknown:
        errors["agencies"] = ("unknown agency %(name)s", {"name": domain.safe_text(unknown[0])})
    elif not chosen:
        errors["agencies"] = ("at least one partner agency", {})
    if formed_on is None:
        errors["formed_on"] = ("a date YYYY-MM-DD is required", {})
    if errors:
        raise GroupError(errors)
    assert formed_on is not None
    with transaction.atomic():
        g = do_form_group(name, office, chair, list(dict.fromkeys(chosen)), formed_on)
        audit.record("form_working_group", actor, "working_group", g.pk, before=None, source=source,
                     after={"name": g.name, "office": office.code, "chair": chair, "agencies": g.agencies,
                            "formed_on": formed_on.isoformat()})
    return g


def _live(group: WorkingGroup) -> None:
    if group.dissolved_on is not None:
        raise GroupError({"group": ("the group was dissolved on %(day)s",
                                    {"day": group.dissolved_on.strftime("%d/%m/%Y")})})


def do_add_member(group: WorkingGroup, name: str, agency: str, position: str, on: date, actor: str,
                  source: str = "") -> WorkingGroupMember:
    """A person joins the group: from one of its agencies (or the SI office that chairs it)."""
    errors: dict[str, tuple[str, dict[str, Any]]] = {}
    _live(group)
    name = _text(errors, "name", name)
    position = _text(errors, "position", position, required=False)
    agency = (agency or "").strip()
    if agency not in [SI_AGENCY, *group.agencies]:
        errors["agency"] = ("unknown agency %(name)s: not a member agency of this group",
                            {"name": domain.safe_text(agency) or "—"})
    if errors:
        raise GroupError(errors)
    with transaction.atomic():
        m = WorkingGroupMember.objects.create(group=group, name=name, agency=agency, position=position, added_on=on)
        audit.record("add_group_member", actor, "working_group", group.pk, before=None, source=source,
                     after={"member": m.pk, "name": name, "agency": agency, "position": position})
    return m


def do_remove_member(member: WorkingGroupMember, actor: str, source: str = "") -> None:
    with transaction.atomic():
        before = {"member": member.pk, "name": member.name, "agency": member.agency, "position": member.position}
        group_id = member.group_id
        member.delete()
        audit.record("remove_group_member", actor, "working_group", group_id, before=before, after=None,
                     source=source)


def do_dissolve_group(group: WorkingGroup, on: date | None, actor: str, source: str = "") -> WorkingGroup:
    """The group ends on ``on`` (not before it was formed); its done visits stay, it plans no more."""
    _live(group)
    if on is None:
        raise GroupError({"dissolved_on": ("a date YYYY-MM-DD is required", {})})
    if on < group.formed_on:
        raise GroupError({"dissolved_on": ("cannot be before the group was formed (%(day)s)",
                                           {"day": group.formed_on.strftime("%d/%m/%Y")})})
    with transaction.atomic():
        group.dissolved_on = on
        group.save(update_fields=["dissolved_on"])
        audit.record("dissolve_working_group", actor, "working_group", group.pk, before={"dissolved_on": None},
                     after={"dissolved_on": on.isoformat()}, source=source)
    return group


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
