"""Development leads: persons or households likely to join or re-join, as worklists per collection point.

Three kinds, each one query:

* ``hi_expiring``: a household HI member whose card ends within ``days`` (30) after the date;
* ``voluntary_lapsed``: a voluntary SI member whose last enrolment ended before the date's month
  (no enrolment covers the month or starts later);
* ``household_partial``: a member of a household list who is no longer covered while another member
  of the same household still is.

A lead goes to the collection point (``CollectionAgent``) of the person's commune (else the
household's) and office; leads in a commune without a point have ``point`` None.

Working a lead (the web page ``/coverage/leads/`` and ``sicollect coverage lead …`` call the same
functions): :func:`do_add_lead` records one by hand, :func:`do_track_lead` keeps a found one (from the
first change of its status), :func:`do_set_lead_status` moves it along :data:`TRANSITIONS`
(new → contacted → enrolled or refused; a refusal may be contacted again; enrolled is final). Each
writes an audit row.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Q

from sicollect.core import audit
from sicollect.core.months import Month
from sicollect.core.privacy import mask_id
from sicollect.registry.models import Office

from .models import CollectionAgent, HouseholdMember, Lead, LeadKind, LeadStatus, VoluntaryEnrolment

#: status → the statuses it may move to
TRANSITIONS: dict[str, frozenset[str]] = {
    LeadStatus.NEW: frozenset({LeadStatus.CONTACTED, LeadStatus.ENROLLED, LeadStatus.REFUSED}),
    LeadStatus.CONTACTED: frozenset({LeadStatus.CONTACTED, LeadStatus.ENROLLED, LeadStatus.REFUSED}),
    LeadStatus.REFUSED: frozenset({LeadStatus.CONTACTED, LeadStatus.ENROLLED}),
    LeadStatus.ENROLLED: frozenset(),
}


class LeadError(ValueError):
    """A lead that cannot be added or moved; the message says why (nothing was written)."""


def leads(as_of: date, office_ids: Iterable[int] | None = None, days: int = 30) -> list[dict[str, Any]]:
    month = Month.of(as_of)
    ids = list(office_ids) if office_ids is not None else None
    points = {(a.office_id, a.commune_id): a.code for a in CollectionAgent.objects.filter(commune__isnull=False)}
    office_codes = dict(Office.objects.values_list("pk", "code"))
    out: list[dict[str, Any]] = []

    def add(kind: str, person: Any, office_id: int, commune_id: int | None, detail: str) -> None:
        out.append({"kind": kind, "office": office_codes.get(office_id), "point": points.get((office_id, commune_id)),
                    "si_code": person.si_code,
                    "full_name": person.full_name, "national_id": mask_id(person.national_id), "detail": detail})

    members = HouseholdMember.objects.select_related("person", "household")
    if ids is not None:
        members = members.filter(household__office_id__in=ids)
    in_force = Q(from_month__lte=month) & (Q(to_month__isnull=True) | Q(to_month__gte=month))
    for m in members.filter(in_force, card_valid_to__gte=as_of, card_valid_to__lte=as_of + timedelta(days=days)):
        add("hi_expiring", m.person, m.household.office_id, m.person.commune_id or m.household.commune_id,
            f"card valid to {m.card_valid_to.isoformat()}")
    covered_sibling = HouseholdMember.objects.filter(in_force, household_id=OuterRef("household_id"))
    still = HouseholdMember.objects.filter(in_force, person_id=OuterRef("person_id"))
    for m in (members.filter(to_month__lt=month).annotate(sib=Exists(covered_sibling), now=Exists(still))
              .filter(sib=True, now=False).order_by("person_id", "-to_month")):
        if out and out[-1]["kind"] == "household_partial" and out[-1]["si_code"] == m.person.si_code:
            continue
        add("household_partial", m.person, m.household.office_id, m.person.commune_id or m.household.commune_id,
            f"household {m.household.code}, covered to {m.to_month}")
    enrolments = VoluntaryEnrolment.objects.select_related("person")
    if ids is not None:
        enrolments = enrolments.filter(office_id__in=ids)
    current = VoluntaryEnrolment.objects.filter(Q(to_month__isnull=True) | Q(to_month__gte=month),
                                                person_id=OuterRef("person_id"))
    seen: set[int] = set()
    for e in (enrolments.filter(to_month__lt=month).annotate(active=Exists(current)).filter(active=False)
              .order_by("person_id", "-to_month")):
        if e.person_id in seen:
            continue
        seen.add(e.person_id)
        add("voluntary_lapsed", e.person, e.office_id, e.person.commune_id, f"paid to {e.to_month}")
    out.sort(key=lambda r: (r["point"] or "~", r["kind"], r["si_code"]))
    return out


# --------------------------------------------------------------------------- working a lead


def _point(code: str | None, office: Office) -> CollectionAgent | None:
    if not code:
        return None
    point = CollectionAgent.objects.filter(code=code).first()
    if point is None:
        raise LeadError(f"point: unknown collection point {code!r}")
    if point.office_id != office.pk:
        raise LeadError(f"point: {code} belongs to another office, not {office.code}")
    return point


def do_add_lead(office: Office, full_name: str, actor: str, *, point: str | None = None, si_code: str = "",
                detail: str = "", note: str = "") -> Lead:
    """A lead found by hand (a neighbour, a market stall), status new."""
    if not full_name.strip():
        raise LeadError("full_name: a lead needs a name")
    agent = _point(point, office)
    if si_code and Lead.objects.filter(kind=LeadKind.MANUAL, si_code=si_code).exists():
        raise LeadError(f"si_code: {si_code} is already a lead")
    with transaction.atomic():
        lead = Lead.objects.create(office=office, point=agent, kind=LeadKind.MANUAL, si_code=si_code,
                                   full_name=full_name.strip(), detail=detail, note=note, created_by=actor)
        audit.record("add_lead", actor, "lead", lead.pk, after={"status": lead.status, "full_name": lead.full_name},
                     office=office.code, point=point or None, si_code=si_code)
    return lead


def do_track_lead(row: dict[str, Any], actor: str) -> Lead:
    """The stored lead of a row of :func:`leads` (made, status new, the first time)."""
    lead = Lead.objects.filter(kind=row["kind"], si_code=row["si_code"]).first()
    if lead is not None:
        return lead
    office = Office.objects.get(code=row["office"])
    with transaction.atomic():
        lead = Lead.objects.create(office=office, point=_point(row["point"], office), kind=row["kind"],
                                   si_code=row["si_code"], full_name=row["full_name"], detail=row["detail"][:300],
                                   created_by=actor)
        audit.record("track_lead", actor, "lead", lead.pk, after={"status": lead.status}, office=office.code,
                     kind=lead.kind, si_code=lead.si_code)
    return lead


def do_set_lead_status(lead_id: int, status: str, actor: str, note: str = "") -> Lead:
    """Move a lead to ``status`` if :data:`TRANSITIONS` allows it; the audit row keeps before and after."""
    if status not in LeadStatus.values:
        raise LeadError(f"status: expected one of {', '.join(LeadStatus.values)}, got {status!r}")
    with transaction.atomic():
        lead = Lead.objects.select_for_update().get(pk=lead_id)
        if status not in TRANSITIONS[lead.status]:
            raise LeadError(f"status: lead #{lead.pk} is {lead.status}; it cannot become {status}")
        before = lead.status
        lead.status, lead.updated_by = status, actor
        if note:
            lead.note = note[:300]
        lead.save()
        audit.record("set_lead_status", actor, "lead", lead.pk, before=before, after=status, note=note,
                     kind=lead.kind, si_code=lead.si_code)
    return lead


def with_status(rows: list[dict[str, Any]], office_ids: Iterable[int] | None = None) -> list[dict[str, Any]]:
    """The rows of :func:`leads` with their stored lead (``lead``: id, ``status``, ``note``; new if never
    worked), then the leads added by hand and the worked leads no longer found, within ``office_ids``."""
    stored = Lead.objects.select_related("point", "office")
    if office_ids is not None:
        stored = stored.filter(office_id__in=list(office_ids))
    by_key = {(lead.kind, lead.si_code): lead for lead in stored}
    out = []
    for r in rows:
        lead = by_key.pop((r["kind"], r["si_code"]), None)
        out.append({**r, "lead": lead.pk if lead else None, "status": lead.status if lead else LeadStatus.NEW,
                    "note": lead.note if lead else ""})
    for lead in sorted(by_key.values(), key=lambda x: (x.point.code if x.point else "~", x.kind, x.si_code, x.pk)):
        out.append({"kind": lead.kind, "office": lead.office.code, "point": lead.point.code if lead.point else None,
                    "si_code": lead.si_code, "full_name": lead.full_name, "national_id": "", "detail": lead.detail,
                    "lead": lead.pk, "status": lead.status, "note": lead.note})
    return out
