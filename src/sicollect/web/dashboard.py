"""The dashboard: the KPI report's figures and the monthly series behind its charts.

Figures come from :mod:`sicollect.reports.kpi` (the same definitions as the
report); the series are the same aggregates taken at each month end, so the last
point of every series equals the figure in the report.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Sum
from django.db.models.functions import ExtractMonth, ExtractYear

from sicollect.close.aging import load_bands
from sicollect.contributions.models import Payment
from sicollect.core.months import Month
from sicollect.registry.models import Office
from sicollect.reports.kpi import Scope, kpi, pct, plan_value, ranking, unit_debts

MONTH_LABELS = [f"{m:02d}" for m in range(1, 13)]


def revenue_by_month(scope: Scope, year: int, through_month: int) -> dict[int, list[int]]:
    """Cumulative money received per month of ``year`` and of the year before (one query)."""
    qs = Payment.objects.filter(paid_on__year__in=[year - 1, year])
    ids = scope.office_ids()
    if ids is not None:
        qs = qs.filter(unit__office_id__in=ids)
    monthly = {(r["y"], r["m"]): r["total"] for r in qs.annotate(y=ExtractYear("paid_on"), m=ExtractMonth("paid_on"))
               .values("y", "m").annotate(total=Sum("amount"))}
    out: dict[int, list[int]] = {}
    for y, last in ((year, through_month), (year - 1, 12)):
        running, series = 0, []
        for m in range(1, last + 1):
            running += int(monthly.get((y, m)) or 0)
            series.append(running)
        out[y] = series
    return out


def debt_ratio_trend(scope: Scope, as_of: date) -> list[float | None]:
    """Interest-bearing debt ÷ the year's revenue plan at each month end of the year (through ``as_of``)."""
    plan = plan_value(scope, as_of.year, "revenue")
    out = []
    for m in range(1, as_of.month + 1):
        day = min(Month(as_of.year, m).last_day, as_of)
        late = sum(d.late for d in unit_debts(scope, day) if d.late > 0)
        out.append(pct(late, plan))
    return out


def dashboard(as_of: date, office: Office | None, with_ranking: bool) -> dict[str, Any]:
    scope = Scope(office)
    figures = kpi(as_of, office)
    year = as_of.year
    revenue = revenue_by_month(scope, year, as_of.month)
    plan = figures["revenue"]["plan"]
    ceiling_bp = plan_value(scope, year, "debt_ratio_ceiling_bp")
    buckets, _classes = load_bands()
    bucket_labels = {b.code: b.label for b in buckets}
    participants = figures["participants"]
    charts = {
        "revenue": {
            "labels": MONTH_LABELS,
            "this_year": revenue[year],
            "last_year": revenue[year - 1],
            "plan": [round(plan * m / 12) for m in range(1, 13)] if plan else [],
            "year": year,
        },
        "debt_ratio": {
            "labels": MONTH_LABELS[: as_of.month],
            "values": debt_ratio_trend(scope, as_of),
            "target": ceiling_bp / 100 if ceiling_bp else None,
        },
        "aging": {
            "labels": [bucket_labels.get(code, code) for code in figures["debt"]["by_bucket"]],
            "amounts": [v["amount"] for v in figures["debt"]["by_bucket"].values()],
            "units": [v["units"] for v in figures["debt"]["by_bucket"].values()],
        },
        "participants": {
            "labels": ["BHXH bắt buộc", "BHXH tự nguyện", "BHTN", "BHYT"],
            "counts": [participants[k]["count"] for k in ("si_compulsory", "si_voluntary", "ui", "hi")],
            "plans": [participants[k]["plan"] for k in ("si_compulsory", "si_voluntary", "ui", "hi")],
        },
    }
    rows = ranking(as_of) if with_ranking else []
    if rows:
        charts["ranking"] = {
            "labels": [r["name"] for r in rows],
            "debt": [r["interest_bearing_pct_of_plan"] for r in rows],
            "plan": [r["pct_of_plan"] for r in rows],
        }
    return {"kpi": figures, "charts": charts, "ranking": rows, "ceiling_pct": charts["debt_ratio"]["target"]}
