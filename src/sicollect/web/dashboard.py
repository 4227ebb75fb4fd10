"""The dashboard: the KPI report's figures and the monthly series behind its charts.

Figures come from :mod:`sicollect.reports.kpi` (the same definitions as the
report); the series are the same aggregates taken at each month end, so the last
point of every series equals the figure in the report.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from django.core.cache import cache
from django.db.models import Sum

from sicollect.close.aging import load_bands
from sicollect.close.debts import debts_at
from sicollect.contributions.debts import Scope, UnitDebt
from sicollect.contributions.models import ClosedMonth, LedgerEntry, Payment
from sicollect.core.cache import SECONDS, cached, table_fingerprint
from sicollect.core.money import pct
from sicollect.core.months import Month
from sicollect.plans.models import PlanTarget
from sicollect.registry.models import Office, Participation, Unit, UnitStatus
from sicollect.reports import summary
from sicollect.reports.kpi import KnownScope, known_scope, kpi, plan_value, ranking  # noqa: F401  (KnownScope: web.worklist)




MONTH_LABELS = [f"{m:02d}" for m in range(1, 13)]


def revenue_by_month(scope: Scope, year: int, through_month: int, kept: bool = False) -> dict[int, list[int]]:
    """Cumulative money received per month of ``year`` and of the year before (one query).

    ``kept``: the months through ``through_month`` are closed and their sums kept by the close
    (``reports.summary``): read from there. Otherwise grouped by day in SQL (a plain column: fast on every
    engine, where SQLite's month extraction is a Python function per row) and by month here.
    """
    ids = scope.office_ids()
    monthly: dict[tuple[int, int], int] = {}
    if kept:
        for day, total in summary.received_by_month(ids, date(year - 1, 1, 1), Month(year, through_month).last_day).items():
            monthly[(day.year, day.month)] = total
    else:
        qs = Payment.objects.filter(paid_on__gte=date(year - 1, 1, 1), paid_on__lte=date(year, 12, 31))  # the index
        if ids is not None:
            qs = qs.filter(unit__office_id__in=ids)
        for day, total in qs.values_list("paid_on").annotate(t=Sum("amount")).values_list("paid_on", "t"):
            monthly[(day.year, day.month)] = monthly.get((day.year, day.month), 0) + int(total or 0)
    out: dict[int, list[int]] = {}
    for y, last in ((year, through_month), (year - 1, 12)):
        running, series = 0, []
        for m in range(1, last + 1):
            running += monthly.get((y, m), 0)
            series.append(running)
        out[y] = series
    return out


def last_close() -> ClosedMonth | None:
    return ClosedMonth.objects.order_by("-month").first()


def unit_debts_at(scope: Scope, day: date, closed: ClosedMonth | None) -> list[UnitDebt]:
    """:func:`sicollect.contributions.debts.unit_debts`, cached for days inside the closed months.

    Those answers are final: closed months are never written again (late data goes to the
    open month as corrections posted on its first day), so they are cached per close run.
    Days after the close are computed each time.
    """
    if closed is None or day > closed.month.last_day:
        return debts_at(scope, [day])[day]
    ids = scope.office_ids()
    key = f"web:debts:{closed.pk}:{closed.closed_at.isoformat()}:{day.isoformat()}:{'all' if ids is None else ids}"
    value = cache.get(key)
    if value is None:
        value = debts_at(scope, [day])[day]
        cache.set(key, value, timeout=24 * 3600)
    return value


def late_debt_on_days(scope: Scope, days: list[date]) -> list[int]:
    """Σ late principal of the units in scope on each of ``days``: the debts the close kept at closed
    month ends (close.MonthEndDebt), the others in one pass over the ledger (``kpi.debts_at``).
    A test holds it equal to ``unit_debts`` at every month end of the demo."""
    if not days:
        return []
    debts = debts_at(scope, days)
    return [sum(d.late for d in debts[day]) for day in days]


def debt_ratio_trend(scope: Scope, as_of: date) -> list[float | None]:
    """Interest-bearing debt ÷ the year's revenue plan at each month end of the year (through ``as_of``).

    Final for days inside the closed months, so cached per close run.
    """
    plan = plan_value(scope, as_of.year, "revenue")
    days = [min(Month(as_of.year, m).last_day, as_of) for m in range(1, as_of.month + 1)]
    if summary.kept_days([as_of]):  # every month end through a kept one: the close's sums by office
        found = summary.late_by_day(scope.office_ids(), days)
        first = summary.first_closed_day()  # before it nothing is owed
        kept = summary.kept_days(days)
        rest = [d for d in days if d not in kept and not (first and d < first)]
        found.update(zip(rest, late_debt_on_days(scope, rest), strict=True))
        return [pct(found.get(d, 0), plan) for d in days]
    closed = last_close()
    if closed is None or as_of > closed.month.last_day:
        late = late_debt_on_days(scope, days)
    else:
        ids = scope.office_ids()
        key = (closed.pk, closed.closed_at.isoformat(), as_of.isoformat(), None if ids is None else tuple(ids))
        late = cached("trend", key, lambda: late_debt_on_days(scope, days))
    return [pct(v, plan) for v in late]


KPI_CACHE_SECONDS = SECONDS


def data_fingerprint() -> tuple[Any, ...]:
    """What the KPI report reads, in one query (:func:`sicollect.core.cache.table_fingerprint`): any close,
    posting, payment, declaration, plan change or unit status change gives a new fingerprint. A unit's
    status counts as ``id × the status's rank``, summed: a change of one unit's status changes the sum. The
    ledger, the largest table, by its highest id alone, as before: counting the province's 3 million rows
    takes a quarter of a second, its highest id is one index probe."""
    ranks = " ".join(f"WHEN '{value}' THEN {i}" for i, value in enumerate(UnitStatus.values, start=1))
    other = len(UnitStatus.values) + 1
    return table_fingerprint(ClosedMonth, Payment, Participation, PlanTarget, Unit, extra=(
        f"SELECT MAX(id) FROM {LedgerEntry._meta.db_table}",
        f"SELECT MAX(closed_at) FROM {ClosedMonth._meta.db_table}",
        f"SELECT SUM(value) FROM {PlanTarget._meta.db_table}",
        f"SELECT SUM(id * CASE status {ranks} ELSE {other} END) FROM {Unit._meta.db_table}"))


def cached_kpi(as_of: date, office: Office | None, fingerprint: tuple[Any, ...] | None = None) -> dict[str, Any]:
    fp = fingerprint or data_fingerprint()
    return cached(f"kpi:{office.pk if office else 'all'}:{as_of.isoformat()}", fp, lambda: kpi(as_of, office))


def cached_ranking(as_of: date, fingerprint: tuple[Any, ...] | None = None) -> list[dict[str, Any]]:
    fp = fingerprint or data_fingerprint()
    return cached(f"ranking:{as_of.isoformat()}", fp, lambda: ranking(as_of))


def dashboard(as_of: date, office: Office | None, with_ranking: bool) -> dict[str, Any]:
    """The dashboard's figures and charts at ``as_of``.

    At a closed month end (the default day) they are read from the figures the close kept
    (``reports.summary``, ``coverage.CoverageCount``): a few small queries, the same in every server
    process, nothing cached. Any other day is computed from the rows and kept in the process's cache while
    :func:`data_fingerprint` holds (docs/domain.md, "Figures of closed months")."""
    scope = known_scope(office)
    year = as_of.year
    kept = bool(summary.kept_days([as_of]))
    if kept:
        fp: tuple[Any, ...] = ()
        figures = kpi(as_of, office, scope)
        revenue = revenue_by_month(scope, year, as_of.month, kept=True)
    else:
        fp = data_fingerprint()
        figures = cached_kpi(as_of, office, fp)
        revenue = cached(f"revenue:{scope.ids}:{as_of.isoformat()}", fp,
                         lambda: revenue_by_month(scope, year, as_of.month))
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
            "codes": list(figures["debt"]["by_bucket"]),
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
    rows = (ranking(as_of) if kept else cached_ranking(as_of, fp)) if with_ranking else []
    if rows:
        charts["ranking"] = {
            "labels": [r["name"] for r in rows],
            "debt": [r["interest_bearing_pct_of_plan"] for r in rows],
            "plan": [r["pct_of_plan"] for r in rows],
        }
    return {"kpi": figures, "charts": charts, "ranking": rows, "ceiling_pct": charts["debt_ratio"]["target"],
            "kept": kept, "as_of_iso": as_of.isoformat()}  # for the links of every ranking row: no date filter each
