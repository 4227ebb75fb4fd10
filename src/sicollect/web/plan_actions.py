"""Plan actions from the web app: upload a plan file, cascade an office's targets to its children,
evaluate a month or quarter. The same domain functions as ``sicollect plan import|cascade|evaluate``
(``plans.importer.import_plans``, ``plans.targets.cascade``, ``plans.progress.evaluate``), each atomic
and audited. Who may: :func:`policy.can_manage_plans` (managers); a grassroots manager only for the
children of their own office (``policy.plan_managed_offices``): its points and officers.
"""
from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from sicollect.arrears.queries import default_as_of
from sicollect.core import domain
from sicollect.exchange.rows import ImportErrors
from sicollect.plans.importer import import_plans
from sicollect.plans.models import RATIO_INDICATORS, Evaluation, Indicator, Level
from sicollect.plans.progress import evaluate
from sicollect.plans.targets import (
    CHILD_LEVELS,
    RULES,
    PlanError,
    cascade,
    check,
    children_of,
    parent_targets,
    province_office,
    targets,
)
from sicollect.registry.models import Office
from sicollect.staff import policy

from .uploads import UploadError, saved_upload

INDICATOR_LABELS = dict(Indicator.choices)


def _denied(request: HttpRequest) -> HttpResponse | None:
    if not policy.can_manage_plans(request.user):
        return HttpResponseForbidden(_("You may not change the plan."))
    return None


def _office(request: HttpRequest, code: str | None) -> Office:
    """The office asked for among those the user may plan for (a 404 otherwise); default: their own, or the
    province office."""
    offices = policy.visible_offices(request.user)
    if code:
        office = offices.filter(code=code).first()
        if office is None:
            raise Http404("no such office")
        return office
    a = policy.access(request.user)
    return a.office if a.office is not None and not a.everything else province_office()


def _year(text: str | None) -> int:
    text = (text or "").strip()
    if not text:
        return default_as_of().year
    if not text.isdigit() or not 2000 <= int(text) <= 2100:
        raise BadRequest(_("%(field)s: expected a year, got %(value)r") % {"field": "year", "value": text[:10]})
    return int(text)


# --------------------------------------------------------------------------- upload


@login_required
def plan_upload(request: HttpRequest) -> HttpResponse:
    if (denied := _denied(request)) is not None:
        return denied
    errors: list[str] = []
    if request.method == "POST":
        try:
            with saved_upload(request.FILES.get("file")) as path:
                result = import_plans(path, request.user.get_username(), policy.plan_managed_offices(request.user))
        except UploadError as exc:
            errors = [str(exc)]
        except ImportErrors as exc:
            errors = [str(e) for e in exc.errors]
        else:
            messages.success(request, _("%(file)s: %(created)d created, %(updated)d updated, %(unchanged)d unchanged.")
                             % {"file": path.name, "created": result.created, "updated": result.updated,
                                "unchanged": result.unchanged})
            return redirect("web:plan_upload")
    return render(request, "web/plan_upload.html", {
        "errors": errors, "province": policy.plan_managed_offices(request.user) is None,
    }, status=400 if errors else 200)


# --------------------------------------------------------------------------- cascade


def _manual(request: HttpRequest, codes: list[str], wanted: list[str]) -> tuple[dict[str, dict[str, int]], list[str]]:
    """The values typed for each child and indicator (``v-<child>-<indicator>``; dots, commas and spaces
    as thousands separators); an empty box is left out (the cascade names it)."""
    out: dict[str, dict[str, int]] = {}
    errors = []
    for code in codes:
        for ind in wanted:
            raw = request.POST.get(f"v-{code}-{ind}", "")
            text = raw.replace(".", "").replace(",", "").replace(" ", "").strip()
            if not text:
                continue
            if not text.isdigit() or len(text) > 18:
                errors.append(_("%(child)s: %(indicator)s: expected a whole number, got %(value)r")
                              % {"child": code, "indicator": ind, "value": raw[:30]})
                continue
            out.setdefault(code, {})[ind] = int(text)
    return out, errors


@login_required
def plan_cascade(request: HttpRequest) -> HttpResponse:
    if (denied := _denied(request)) is not None:
        return denied
    data = request.POST if request.method == "POST" else request.GET
    office = _office(request, data.get("office"))
    year = _year(data.get("year"))
    choices = ["offices"] if office.is_province else ["points", "officers"]
    to = data.get("to") if data.get("to") in choices else choices[0]
    plan = parent_targets(year, office)
    splittable = sorted(i for i in plan if i not in RATIO_INDICATORS)
    children = children_of(office, to)
    errors: list[str] = []
    if request.method == "POST":
        rule = data.get("rule", "")
        wanted = [i for i in data.getlist("indicator") if i in plan] or sorted(plan)
        manual, errors = _manual(request, [c.code for c in children], wanted) if rule == "manual" else ({}, [])
        if rule not in RULES:
            errors.append(_("%(field)s: expected one of %(allowed)s, got %(value)r")
                          % {"field": "rule", "allowed": ", ".join(RULES), "value": rule[:30]})
        if not errors:
            try:
                result = cascade(year, office, to, rule, wanted, manual if rule == "manual" else None,
                                 actor=request.user.get_username())
            except PlanError as exc:
                errors = str(exc).splitlines()
            else:
                messages.success(request, _("%(office)s: targets of %(year)d cascaded to %(n)d children.")
                                 % {"office": office.code, "year": year, "n": len(result.values)})
                return redirect(f"{reverse('web:plan_cascade')}?office={office.code}&year={year}&to={to}")
    level = CHILD_LEVELS[to]
    current = targets(year, level, [c.id for c in children] if level == Level.OFFICE else [office.pk])
    rows = [{"code": c.code, "name": c.name,
             "values": [(i, current.get(c.id, {}).get(i), request.POST.get(f"v-{c.code}-{i}", "")) for i in splittable]}
            for c in children]
    sums = [{"indicator": i, "label": INDICATOR_LABELS.get(i, i), "plan": plan[i],
             "children": sum(current.get(c.id, {}).get(i, 0) for c in children),
             "given": sum(1 for c in children if i in current.get(c.id, {}))} for i in splittable]
    for s in sums:
        s["difference"] = s["children"] - s["plan"]
    problems = [p for p in check(year) if f" under {office.code} " in p]
    return render(request, "web/plan_cascade.html", {
        "office": office, "year": year, "to": to, "choices": choices, "rules": RULES, "plan": sorted(plan.items()),
        "labels": INDICATOR_LABELS, "splittable": splittable, "rows": rows, "sums": sums, "problems": problems,
        "errors": errors, "offices": policy.visible_offices(request.user), "rule": data.get("rule", "units"),
    }, status=400 if errors else 200)


# --------------------------------------------------------------------------- evaluations


def _evaluations(request: HttpRequest) -> Any:
    managed = policy.plan_managed_offices(request.user)
    qs = Evaluation.objects.select_related("office").order_by("-made_at", "-id")
    if managed is not None:
        qs = qs.filter(Q(office_id__in=managed))
    return qs


@login_required
def plan_evaluations(request: HttpRequest) -> HttpResponse:
    if policy.access(request.user).nothing:
        raise Http404("no access")
    managed = policy.plan_managed_offices(request.user)
    levels = [Level.OFFICE, Level.POINT, Level.OFFICER] if managed is None else [Level.POINT, Level.OFFICER]
    errors: list[str] = []
    if request.method == "POST":
        if (denied := _denied(request)) is not None:
            return denied
        p = request.POST
        office = _office(request, p.get("office")) if p.get("office") or managed is not None else None
        level = p.get("level", "")
        try:
            comment = domain.text(p.get("comment", ""), max_length=2000, required=False, multiline=True)
        except domain.DomainError as exc:
            errors.append(f"comment: {exc}")
            comment = ""
        if level not in levels:
            errors.append(_("%(field)s: expected one of %(allowed)s, got %(value)r")
                          % {"field": "level", "allowed": ", ".join(levels), "value": level[:20]})
        elif office is not None and office.is_province and level != Level.OFFICE:
            errors.append(_("level: the province evaluates its grassroots offices; choose an office for its "
                            "points or officers"))
        if not errors:
            try:
                record = evaluate(p.get("period", "").strip(), level, request.user.get_username(), comment,
                                  office if office is not None and not office.is_province else None,
                                  as_of=timezone.localdate())
            except ValueError as exc:
                errors.append(str(exc))
            else:
                messages.success(request, _("Evaluation %(period)s saved: %(n)d rows as of %(as_of)s.")
                                 % {"period": record.period, "n": len(record.figures),
                                    "as_of": record.as_of.strftime("%d/%m/%Y")})
                return redirect("web:plan_evaluations")
    return render(request, "web/plan_evaluations.html", {
        "evaluations": _evaluations(request)[:50], "levels": levels, "errors": errors,
        "can_evaluate": policy.can_manage_plans(request.user), "offices": policy.visible_offices(request.user),
        "province": managed is None, "post": request.POST,
    }, status=400 if errors else 200)

