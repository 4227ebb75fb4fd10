""""Việc của tôi" (my work): the officer's home page.

For one officer (the user, or — for a manager — an officer of the offices they see, ``?officer=ID``):

* the officer's units with an open arrears case: late debt, months late, the step reached, the last
  contact (from the follow-up log);
* next actions due today and overdue (open: no later contact with the unit);
* promises to pay falling due this week (Monday to Sunday of ``today``), still pending;
* broken promises of units whose case is still open;
* the officer's plan progress (the officer level of ``plans.progress``, year to date).

A manager also sees the team: each officer of their offices with the same counts, and can move
ticked units to another officer (``actions.do_assign_units``, audited). A fixed number of queries,
whatever the number of units: the lists are cut at ``LIMIT`` rows with their full count shown.
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, OuterRef, Subquery, Sum
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sicollect.arrears.ladder import top_step_code
from sicollect.arrears.models import Case, FollowUp, LadderStep, PromiseStatus
from sicollect.plans.models import Assignment
from sicollect.plans.progress import progress
from sicollect.staff import policy
from sicollect.staff.models import Role

LIMIT = 100


def _today(request: HttpRequest) -> date:
    text = request.GET.get("today", "").strip()
    if not text:
        return date.today()
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise BadParameter("today", _("expected a date YYYY-MM-DD")) from exc


class BadParameter(ValueError):
    def __init__(self, name: str, reason: str):
        self.name, self.reason = name, reason
        super().__init__(f"{name}: {reason}")


def officer_for(request: HttpRequest) -> Any:
    """Whose work the page shows: the user; a manager may pick an officer they can assign to."""
    wanted = request.GET.get("officer", "").strip()
    if not wanted or not policy.can_assign(request.user):
        return request.user
    if not wanted.isdigit():
        raise BadParameter("officer", _("a user id"))
    who = policy.assignable_officers(request.user).filter(pk=int(wanted)).first()
    if who is None:
        raise Http404("no such officer")
    return who


def work_of(viewer: Any, officer: Any, today: date) -> dict[str, Any]:
    """The page's figures for ``officer`` as ``viewer`` sees them."""
    units = policy.visible_units(viewer).filter(officer=officer)
    last = FollowUp.objects.filter(unit=OuterRef("unit")).order_by("-contacted_on", "-id")
    cases = (Case.objects.filter(closed_on__isnull=True, unit__in=units)
             .annotate(top=top_step_code(), last_contact=Subquery(last.values("contacted_on")[:1]),
                       last_kind=Subquery(last.values("kind")[:1]))
             .select_related("unit").order_by("-late_amount", "unit__code"))
    totals = cases.aggregate(n=Count("id"), late=Sum("late_amount"))
    logs = FollowUp.objects.filter(unit__in=units).select_related("unit")
    actions = logs.filter(action_closed_on__isnull=True, next_action_on__lte=today).order_by("next_action_on",
                                                                                              "unit__code")
    monday = today - timedelta(days=today.weekday())
    sunday = monday + timedelta(days=6)
    promises = logs.filter(promise_status=PromiseStatus.PENDING, promise_date__gte=monday,
                           promise_date__lte=sunday).order_by("promise_date", "unit__code")
    broken = logs.filter(promise_status=PromiseStatus.BROKEN, unit__arrears_cases__closed_on__isnull=True
                         ).order_by("-promise_checked_on", "unit__code").distinct()
    names = dict(LadderStep.objects.values_list("code", "name"))
    rows = list(cases[:LIMIT])
    for c in rows:
        c.top_name = names.get(c.top or "", "")
    action_rows = list(actions[:LIMIT])
    return {
        "cases": rows, "case_count": totals["n"] or 0, "late_total": totals["late"] or 0,
        "today_actions": [a for a in action_rows if a.next_action_on == today],
        "overdue_actions": [a for a in action_rows if a.next_action_on < today],
        "promises": list(promises[:LIMIT]), "week": (monday, sunday),
        "broken": list(broken[:LIMIT]), "plan": plan_row(officer, today),
    }


def plan_row(officer: Any, today: date) -> dict[str, Any] | None:
    """The officer's row of the officer-level plan progress, year to date (None: no plan)."""
    staff = getattr(officer, "staff", None)
    if staff is None or not Assignment.objects.filter(year=today.year, officer=officer).exists():
        return None
    rows = progress("officer", today, "ytd", [staff.office_id])
    return next((r for r in rows if r["code"] == officer.get_username()), None)


def team(viewer: Any, today: date) -> list[dict[str, Any]]:
    """Each officer a manager may assign to: open cases and late debt of their units, overdue
    actions, promises pending, promises broken (five aggregates)."""
    people = list(policy.assignable_officers(viewer).select_related("staff__office"))
    units = policy.visible_units(viewer)
    by_cases = {r["unit__officer"]: r for r in Case.objects.filter(closed_on__isnull=True, unit__in=units)
                .values("unit__officer").annotate(n=Count("id"), late=Sum("late_amount")).order_by()}
    logs = FollowUp.objects.filter(unit__in=units)

    def count(qs: Any) -> dict[int, int]:
        return {r["unit__officer"]: r["n"] for r in qs.values("unit__officer").annotate(n=Count("id")).order_by()}

    overdue = count(logs.filter(action_closed_on__isnull=True, next_action_on__lt=today))
    pending = count(logs.filter(promise_status=PromiseStatus.PENDING))
    broken = count(logs.filter(promise_status=PromiseStatus.BROKEN, unit__arrears_cases__closed_on__isnull=True))
    return [{"user": u, "role": u.staff.get_role_display(), "office": u.staff.office.code,
             "cases": by_cases.get(u.pk, {}).get("n", 0), "late": by_cases.get(u.pk, {}).get("late", 0) or 0,
             "overdue": overdue.get(u.pk, 0), "pending": pending.get(u.pk, 0), "broken": broken.get(u.pk, 0)}
            for u in people]


@login_required
def my_work(request: HttpRequest) -> HttpResponse:
    try:
        today = _today(request)
        officer = officer_for(request)
    except BadParameter as exc:
        return render(request, "web/form_errors.html", {"errors": [(exc.name, exc.reason)], "back": "/work/"},
                      status=400)
    a = policy.access(request.user)
    if a.nothing:
        raise Http404("no access")
    manager = policy.can_assign(request.user)
    context = {"officer": officer, "today": today, "own": officer.pk == request.user.pk, "manager": manager,
               **work_of(request.user, officer, today)}
    if manager:
        context["team"] = team(request.user, today)
        context["assignable"] = policy.assignable_officers(request.user)
    context["is_officer"] = a.role == Role.OFFICER
    return render(request, "web/mywork.html", context)


@login_required
@require_POST
def reassign(request: HttpRequest) -> HttpResponse:
    """A manager moves the ticked units to another officer (audited, as on the worklist)."""
    from .actions import do_assign_units

    if not policy.can_assign(request.user):
        return HttpResponseForbidden(_("You may not assign units."))
    target = request.POST.get("officer_id", "")
    officer = policy.assignable_officers(request.user).filter(pk=target).first() if target.isdigit() else None
    if officer is None:
        return render(request, "web/form_errors.html", {
            "errors": [(_("Officer"), _("choose an officer of your offices"))], "back": "/work/"}, status=400)
    units = list(policy.visible_units(request.user).filter(code__in=request.POST.getlist("unit")))
    if not units:
        return render(request, "web/form_errors.html", {
            "errors": [(_("Units"), _("tick at least one unit"))], "back": "/work/"}, status=400)
    n = do_assign_units(units, officer, actor=request.user.get_username())
    messages.success(request, _("%(n)d units assigned.") % {"n": n})
    back = request.POST.get("from", "")
    return redirect(f"/work/?officer={back}" if back.isdigit() else "/work/")


def home_for(user: Any) -> str:
    """Where a user lands after logging in: an officer on their work, others on the dashboard."""
    return "/work/" if policy.access(user).role == Role.OFFICER else "/"

