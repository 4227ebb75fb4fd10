"""Development leads: persons or households likely to join or re-join, as worklists per collection point.

Three kinds, each one query:

* ``hi_expiring``: a household HI member whose card ends within ``days`` (30) after the date;
* ``voluntary_lapsed``: a voluntary SI member whose last enrolment ended before the date's month
  (no enrolment covers the month or starts later);
* ``household_partial``: a member of a household list who is no longer covered while another member
  of the same household still is.

A lead goes to the collection point (``CollectionAgent``) of the person's commune (else the
household's) and office; leads in a commune without a point have ``point`` None.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from django.db.models import Exists, OuterRef, Q

from sicollect.core.months import Month
from sicollect.core.privacy import mask_id

from .models import CollectionAgent, HouseholdMember, VoluntaryEnrolment


def leads(as_of: date, office_ids: Iterable[int] | None = None, days: int = 30) -> list[dict[str, Any]]:
    month = Month.of(as_of)
    ids = list(office_ids) if office_ids is not None else None
    points = {(a.office_id, a.commune_id): a.code for a in CollectionAgent.objects.filter(commune__isnull=False)}
    out: list[dict[str, Any]] = []

    def add(kind: str, person: Any, office_id: int, commune_id: int | None, detail: str) -> None:
        out.append({"kind": kind, "point": points.get((office_id, commune_id)), "si_code": person.si_code,
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
