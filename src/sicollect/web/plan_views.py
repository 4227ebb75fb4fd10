"""Plan pages: progress and rankings, the weekly conference summary, the year-end forecast and
coverage by commune. Thin: the figures come from ``plans`` and ``coverage``; what a user may see
from :mod:`policy` (``kpi_office``: the province sees every office, a grassroots office itself; asking
for an office one may not see is a 404).
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from sicollect.contributions.debts import Scope
from sicollect.coverage.areas import by_commune, by_office, special_status, special_summary
from sicollect.coverage.counts import coverage_fingerprint
from sicollect.coverage.leads import leads
from sicollect.plans.forecast import forecast as forecast_data
from sicollect.plans.models import Evaluation, Level
from sicollect.plans.progress import PERIODS, progress, weekly, weekly_xlsx
from sicollect.staff import policy
from sicollect.staff.models import Role

from .dashboard import cached, data_fingerprint
from .params import as_of_param, choice_param, xlsx_response

LEVELS = [Level.OFFICE, Level.POINT, Level.OFFICER, Level.PROVINCE]


def _scope(request: HttpRequest) -> tuple[Any, list[int] | None]:
    """The office asked for (None: the province) and the office ids its pages cover (None: all)."""
    office = policy.kpi_office(request.user, request.GET.get("office"))
    if office is None or office.is_province:
        return office, None
    return office, Scope(office).office_ids()


def progress_fingerprint() -> tuple[Any, ...]:
    """What the progress figures read: the KPI report's data (``dashboard.data_fingerprint``) and what the
    participant counts read (``coverage.counts.coverage_fingerprint``: enrolments, households, units' offices
    and officers)."""
    return data_fingerprint(), coverage_fingerprint()


@login_required
def plan_progress(request: HttpRequest) -> HttpResponse:
    office, ids = _scope(request)
    as_of = as_of_param(request)
    period = choice_param(request, "period", PERIODS, "ytd")
    level = choice_param(request, "level", Level.values, Level.OFFICE)
    if level == Level.PROVINCE and ids is not None:
        level = Level.OFFICE
    # the participant counts scan every participation (~0.7 s each on the province): kept while the data holds
    rows = cached(f"progress:{level}:{as_of.isoformat()}:{period}:{ids}", progress_fingerprint(),
                  lambda: progress(level, as_of, period, ids))
    a = policy.access(request.user)
    if a.role == Role.OFFICER and level == Level.OFFICER:
        rows = [r for r in rows if r["code"] == request.user.get_username()]
    evaluations = Evaluation.objects.all() if ids is None else Evaluation.objects.filter(office=office)
    return render(request, "web/plan_progress.html", {
        "rows": sorted(rows, key=lambda r: r["rank_revenue"]), "as_of": as_of, "office": office, "period": period,
        "periods": PERIODS, "level": level, "levels": [lv for lv in LEVELS if ids is None or lv != Level.PROVINCE],
        "offices": policy.visible_offices(request.user), "evaluations": evaluations[:10],
    })


def weekly_default(day: date) -> date:
    """The day the weekly summary opens on: ``day``, unless its week (Monday … Sunday) runs into the next
    year — then the Sunday before, the last whole week of the year (the week of 31 Dec 2025 runs to 4 Jan
    2026, and its plan share and collection would mix two years)."""
    monday = day - timedelta(days=day.weekday())
    if (monday + timedelta(days=6)).year != day.year:
        return monday - timedelta(days=1)
    return day


@login_required
def plan_weekly(request: HttpRequest, fmt: str = "html") -> HttpResponse:
    office, ids = _scope(request)
    as_of = as_of_param(request) if request.GET.get("as_of") else weekly_default(as_of_param(request))
    data = weekly(as_of, ids)
    if fmt == "xlsx":
        return xlsx_response(weekly_xlsx(data), f"giao-ban-tuan-{office.code if office else 'tinh'}-{as_of.isoformat()}.xlsx")
    if fmt != "html":
        raise Http404("no such format")
    rows = ([data["province"]] if data["province"] else []) + data["offices"]
    return render(request, "web/plan_weekly.html", {"data": data, "rows": rows, "as_of": as_of, "office": office,
                                                     "offices": policy.visible_offices(request.user)})


@login_required
def plan_forecast(request: HttpRequest) -> HttpResponse:
    office, _ids = _scope(request)
    as_of = as_of_param(request)
    data = forecast_data(as_of, office)
    return render(request, "web/plan_forecast.html", {
        "f": data, "as_of": as_of, "office": office, "offices": policy.visible_offices(request.user),
        "months": sorted(data["revenue"]["needed_per_month"].items()),
    })


@login_required
def coverage_communes(request: HttpRequest) -> HttpResponse:
    office, ids = _scope(request)
    as_of = as_of_param(request)
    special = special_summary(special_status(as_of, None, ids))
    return render(request, "web/coverage.html", {
        "communes": by_commune(as_of, ids), "office_rows": by_office(as_of, ids), "special": special,
        "leads": leads(as_of, ids),
        "as_of": as_of, "office": office, "offices": policy.visible_offices(request.user),
    })
