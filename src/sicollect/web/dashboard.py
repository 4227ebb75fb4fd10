"""The dashboard: the KPI report's figures and the monthly series behind its charts.

Figures come from :mod:`sicollect.reports.kpi` (the same definitions as the
report); the series are the same aggregates taken at each month end, so the last
point of every series equals the figure in the report.
"""
from __future__ import annotations

from dataclasses import dataclass
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
from sicollect.reports.kpi import kpi, plan_value, ranking


@dataclass(frozen=True)
class KnownScope(Scope):
    """A :class:`Scope` whose office ids are already known: no query to find them again."""

    ids: tuple[int, ...] | None = None

    def office_ids(self) -> list[int] | None:
        return list(self.ids) if self.ids is not None else None


def known_scope(office: Office | None) -> KnownScope:
    ids = Scope(office).office_ids()
    return KnownScope(office, tuple(ids) if ids is not None else None)


MONTH_LABELS = [f"{m:02d}" for m in range(1, 13)]


def revenue_by_month(scope: Scope, year: int, through_month: int) -> dict[int, list[int]]:
    """Cumulative money received per month of ``year`` and of the year before (one query).

    Grouped by day in SQL (a plain column: fast on every engine, where SQLite's month
    extraction is a Python function per row) and by month here.
    """
    qs = Payment.objects.filter(paid_on__gte=date(year - 1, 1, 1), paid_on__lte=date(year, 12, 31))  # the index
    ids = scope.office_ids()
    if ids is not None:
        qs = qs.filter(unit__office_id__in=ids)
    monthly: dict[tuple[int, int], int] = {}
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
    scope = known_scope(office)
    fp = data_fingerprint()
    figures = cached_kpi(as_of, office, fp)
    year = as_of.year
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
    rows = cached_ranking(as_of, fp) if with_ranking else []
    if rows:
        charts["ranking"] = {
            "labels": [r["name"] for r in rows],
            "debt": [r["interest_bearing_pct_of_plan"] for r in rows],
            "plan": [r["pct_of_plan"] for r in rows],
        }
    return {"kpi": figures, "charts": charts, "ranking": rows, "ceiling_pct": charts["debt_ratio"]["target"]}
