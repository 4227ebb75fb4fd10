"""Who may see and do what: the one place the pages, the API and the job page ask.

Every view reads units, persons, offices and suspense items through these
functions, never through a bare ``Unit.objects``. A thing a user may not see is
absent from lists and a 404 on its own page, so a grassroots officer cannot even
learn that another office's unit exists.

Roles (``StaffProfile.role``):

* province manager: every office (whatever office the profile names);
* grassroots manager: their office and the offices under it;
* collection officer: the units of their office assigned to them;
* viewer: like a manager of their office, read-only, identifiers masked.

A superuser is a province manager. A user without a profile sees nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.http import Http404

from sicollect.core.models import AuditEvent
from sicollect.registry.models import Office, Person, Unit

from .models import Role


@dataclass(frozen=True)
class Access:
    """A user's role and the ids of the offices they may see (None: all)."""

    role: str | None
    office: Office | None
    office_ids: frozenset[int] | None
    user_id: int | None

    @property
    def everything(self) -> bool:
        return self.office_ids is None

    @property
    def nothing(self) -> bool:
        return self.role is None


def _descendants(office: Office) -> frozenset[int]:
    ids = {office.pk}
    frontier = [office.pk]
    while frontier:
        frontier = list(Office.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
        ids.update(frontier)
    return frozenset(ids)


def access(user: Any) -> Access:
    """The user's access, computed once per request (cached on the user object)."""
    cached = getattr(user, "_sicollect_access", None)
    if cached is not None:
        return cached
    result = _access(user)
    if user is not None:
        user._sicollect_access = result
    return result


def _access(user: Any) -> Access:
    if user is None or not user.is_authenticated:
        return Access(None, None, frozenset(), None)
    if user.is_superuser:
        return Access(Role.PROVINCE_MANAGER, None, None, user.pk)
    from .models import StaffProfile

    profile = StaffProfile.objects.select_related("office").filter(user=user).first()
    if profile is None:
        return Access(None, None, frozenset(), user.pk)
    if profile.role == Role.PROVINCE_MANAGER:
        return Access(profile.role, profile.office, None, user.pk)
    return Access(profile.role, profile.office, _descendants(profile.office), user.pk)


# --------------------------------------------------------------------------- what a user may see


def visible_offices(user: Any) -> QuerySet[Office]:
    a = access(user)
    if a.nothing:
        return Office.objects.none()
    if a.everything:
        return Office.objects.all()
    return Office.objects.filter(pk__in=a.office_ids)


def unit_filter(user: Any, prefix: str = "") -> Q:
    """A ``Q`` on units (or, with ``prefix="unit__"``, on rows that point at a unit)."""
    a = access(user)
    if a.nothing:
        return Q(pk__in=[])
    q = Q()
    if not a.everything:
        q &= Q(**{f"{prefix}office_id__in": a.office_ids})
    if a.role == Role.OFFICER:
        q &= Q(**{f"{prefix}officer_id": a.user_id})
    return q


def visible_units(user: Any) -> QuerySet[Unit]:
    return Unit.objects.filter(unit_filter(user))


def unit_or_404(user: Any, code: str, **annotations: Any) -> Unit:
    """The unit the user may see, or 404; ``annotations`` ride along in the same query."""
    unit = visible_units(user).select_related("office", "officer").annotate(**annotations).filter(code=code).first()
    if unit is None:
        raise Http404("no such unit")
    return unit


def visible_persons(user: Any) -> QuerySet[Person]:
    """Persons with a participation in a visible unit."""
    a = access(user)
    if a.nothing:
        return Person.objects.none()
    if a.everything and a.role != Role.OFFICER:
        return Person.objects.all()
    return Person.objects.filter(participations__unit__in=visible_units(user)).distinct()


def person_or_404(user: Any, si_code: str) -> Person:
    person = visible_persons(user).filter(si_code=si_code).first()
    if person is None:
        raise Http404("no such person")
    return person


def kpi_office(user: Any, office_code: str | None) -> Office | None:
    """The office a dashboard or KPI export covers: None is the whole province.

    Users below the province see their own office at most; asking for an office
    they cannot see is a 404, not a silent fallback.
    """
    a = access(user)
    if a.nothing:
        raise Http404("no access")
    if office_code:
        office = visible_offices(user).filter(code=office_code).first()
        if office is None:
            raise Http404("no such office")
        return office
    return None if a.everything else a.office


def scope_office_ids(user: Any, office: Office | None) -> frozenset[int] | None:
    """The offices a figure covers: ``office`` and those under it, else the user's (None: all)."""
    if office is not None:
        return _descendants(office)
    return access(user).office_ids


# --------------------------------------------------------------------------- what a user may do


def can_confirm_steps(user: Any) -> bool:
    """Confirm proposed ladder steps, add notes, record visits: everyone but viewers."""
    return access(user).role in (Role.PROVINCE_MANAGER, Role.GRASSROOTS_MANAGER, Role.OFFICER)


def can_review_disclosure(user: Any) -> bool:
    """Approve and publish the public list of late payers: the province manager only."""
    a = access(user)
    return a.role == Role.PROVINCE_MANAGER and a.everything


def can_see_national_id(user: Any) -> bool:
    return access(user).role in (Role.PROVINCE_MANAGER, Role.GRASSROOTS_MANAGER)


def can_assign(user: Any) -> bool:
    """Assign units to officers (the worklist's bulk action)."""
    return access(user).role in (Role.PROVINCE_MANAGER, Role.GRASSROOTS_MANAGER)


def can_settle_suspense(user: Any) -> bool:
    return access(user).role in (Role.PROVINCE_MANAGER, Role.GRASSROOTS_MANAGER)


def can_manage_plans(user: Any) -> bool:
    """Upload plan files, cascade targets, make evaluations: managers. A grassroots manager only for the
    children of their own office (its points and officers, or the offices under it); see
    :func:`plan_managed_offices`."""
    return access(user).role in (Role.PROVINCE_MANAGER, Role.GRASSROOTS_MANAGER)


def plan_managed_offices(user: Any) -> frozenset[int] | None:
    """The ids of the offices whose children the user may plan for (None: every office)."""
    a = access(user)
    return None if a.everything else (a.office_ids or frozenset())


def can_work_leads(user: Any) -> bool:
    """Add development leads and change their status: everyone but viewers, in the offices they see."""
    return access(user).role in (Role.PROVINCE_MANAGER, Role.GRASSROOTS_MANAGER, Role.OFFICER)


def can_decide_unit_status(user: Any) -> bool:
    """Confirm or reject a unit status the tax list proposes: managers, for the units they see."""
    return access(user).role in (Role.PROVINCE_MANAGER, Role.GRASSROOTS_MANAGER)


def can_import_tax_list(user: Any) -> bool:
    """Import the tax authority's list (the whole province's enterprises): the province manager only."""
    a = access(user)
    return a.role == Role.PROVINCE_MANAGER and a.everything


def assignable_officers(user: Any) -> QuerySet[Any]:
    """Users a manager may put in charge of units: staff of the offices they see."""
    User = get_user_model()
    if not can_assign(user):
        return User.objects.none()
    a = access(user)
    qs = User.objects.filter(is_active=True, staff__isnull=False)
    if not a.everything:
        qs = qs.filter(staff__office_id__in=a.office_ids)
    return qs.exclude(staff__role=Role.VIEWER).order_by("username")


def officer_filter_choices(user: Any) -> QuerySet[Any]:
    """Officers the worklist can filter by: those with units the user sees."""
    User = get_user_model()
    a = access(user)
    if a.nothing:
        return User.objects.none()
    qs = User.objects.filter(assigned_units__in=visible_units(user)).distinct()
    return qs.order_by("username")


def visible_suspense_items(user: Any, items: QuerySet[Any]) -> list[Any]:
    """Suspense items the user may work on, with candidates cut to units they see.

    Unmatched money reaches the province account, so the province sees the whole
    queue; a grassroots manager sees the items whose candidates include one of
    their units (and items settled to one of their units), nothing else.
    """
    a = access(user)
    if not can_settle_suspense(user) and a.role != Role.VIEWER:
        return []
    items = list(items)
    if a.everything:
        for item in items:
            item.visible_candidates = item.candidates
        return items
    codes = set(visible_units(user).values_list("code", flat=True))
    out = []
    for item in items:
        item.visible_candidates = [c for c in item.candidates or [] if c.get("unit") in codes]
        settled_here = item.unit_id is not None and item.unit.code in codes
        if item.visible_candidates or settled_here:
            out.append(item)
    return out


# --------------------------------------------------------------------------- audit trail and exports


def audit_events(user: Any, unit_code: str = "", actor: str = "") -> QuerySet[Any]:
    """Audit rows the user may read, newest first, for one unit and/or one actor.

    A unit's events: the unit must be visible (else 404). An actor's events: the user's own, or,
    for a manager, those of a staff member of an office they see (else 404). Without a unit, a user
    below the province only gets events of units they see (province-wide events, an import or a
    close, have no unit) — except their own events, which they always see.
    """
    a = access(user)
    if a.nothing:
        raise Http404("no access")
    qs = AuditEvent.objects.all()
    if unit_code:
        qs = qs.filter(unit_code=unit_or_404(user, unit_code).code)
    if actor:
        if actor != user.get_username():
            if not can_assign(user):
                raise Http404("no such user")
            staff = get_user_model().objects.filter(username=actor, staff__isnull=False)
            if not a.everything:
                staff = staff.filter(staff__office_id__in=a.office_ids)
            if not staff.exists():
                raise Http404("no such user")
        qs = qs.filter(actor=actor)
    own = actor == user.get_username()
    if not unit_code and not own and (not a.everything or a.role == Role.OFFICER):
        qs = qs.filter(unit_code__in=visible_units(user).values("code"))
    return qs.order_by("-created_at", "-id")


def can_unmask_exports(user: Any) -> bool:
    """Full national IDs in an export: only roles that see them on pages (the export is audited)."""
    return can_see_national_id(user)
