"""The KPI report's costly figures, kept by the close for each closed month end (``reports.models``).

Written after every close (``ReportsConfig.ready`` registers :func:`close_step`, after the close's aging
has kept the units' debts) with one INSERT … SELECT per table, whatever the number of units:

* :class:`~sicollect.reports.models.OfficeRevenue` — Σ payments by the unit's office and month paid;
  the months of payments recorded since the previous close with a ``paid_on`` in an earlier month are
  written again too, so after a close every month equals a fresh sum of the payments;
* :class:`~sicollect.reports.models.OfficeDebt` — ``close.MonthEndDebt`` grouped by office, unit status
  and months late: the debt section of the report (buckets and classes from the bands in force when read);
* the participant counts are the coverage app's (``coverage.CoverageCount``, its own close step).

Readers (``reports.kpi``, ``web.dashboard``) use them only at a :class:`~sicollect.reports.models.SummaryDay`
(a closed month end); any other day is computed from the rows. :func:`rebuild` writes them for every
closed month of a database closed before they existed (``sicollect kpi_summaries``).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import connection
from django.db.models import Max

from sicollect.close.models import MonthEndDebt
from sicollect.contributions.models import ClosedMonth, Payment
from sicollect.core.months import Month
from sicollect.coverage.counts import subtree_root, top_offices

from .models import OfficeDebt, OfficeRevenue, SummaryDay


@dataclass(frozen=True)
class DebtGroup:
    """Units of one status and age: ``units`` with late debt, their outstanding and late sums."""

    status: str
    months_late: int
    units: int
    outstanding: int
    late: int


def _in(values: list[Any]) -> str:
    return ", ".join(["%s"] * len(values))


def write_revenue(days: list[date]) -> int:
    """Σ payments by office for the month ending at each of ``days``: the days' rows replaced, one INSERT … SELECT."""
    if not days:
        return 0
    OfficeRevenue.objects.filter(as_of__in=days).delete()
    months = " UNION ALL ".join("SELECT %s AS as_of, %s AS first_day" for _ in days)
    params: list[Any] = []
    for day in days:
        params += [day, Month.of(day).first_day]
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO reports_officerevenue (as_of, office_id, received) "
            "SELECT mm.as_of, u.office_id, SUM(p.amount) "
            "FROM contributions_payment p JOIN registry_unit u ON u.id = p.unit_id "
            f"JOIN ({months}) mm ON p.paid_on >= mm.first_day AND p.paid_on <= mm.as_of "
            "WHERE p.paid_on >= %s AND p.paid_on <= %s "
            "GROUP BY mm.as_of, u.office_id",
            [*params, Month.of(min(days)).first_day, max(days)])
        return max(cur.rowcount, 0)


def write_debts(days: list[date]) -> int:
    """``close.MonthEndDebt`` at each of ``days`` grouped by office, status and months late, and the same sums by
    top office and for all (one INSERT … SELECT)."""
    if not days:
        return 0
    OfficeDebt.objects.filter(as_of__in=days).delete()
    roots = top_offices()
    if not roots:
        return 0
    values = ", ".join(f"({int(o)}, {int(r)})" for o, r in roots.items())  # ids from the database
    sums = "SUM(g.units), SUM(g.outstanding), SUM(g.late)"
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO reports_officedebt (as_of, office_id, scope, status, months_late, units, outstanding, late) "
            f"WITH roots(office_id, root_id) AS (VALUES {values}), g AS ("
            "  SELECT d.as_of, d.office_id, COALESCE(u.status, '') AS status, d.months_late, "
            "         SUM(CASE WHEN d.unit_id IS NOT NULL AND d.late > 0 THEN 1 ELSE 0 END) AS units, "
            "         SUM(d.outstanding) AS outstanding, SUM(d.late) AS late "
            f"  FROM {MonthEndDebt._meta.db_table} d LEFT JOIN registry_unit u ON u.id = d.unit_id "
            f"  WHERE d.as_of IN ({_in(days)}) "
            "  GROUP BY d.as_of, d.office_id, COALESCE(u.status, ''), d.months_late) "
            "SELECT g.as_of, g.office_id, 'own', g.status, g.months_late, g.units, g.outstanding, g.late FROM g "
            f"UNION ALL SELECT g.as_of, r.root_id, 'tree', g.status, g.months_late, {sums} "
            "FROM g JOIN roots r ON r.office_id = g.office_id GROUP BY g.as_of, r.root_id, g.status, g.months_late "
            f"UNION ALL SELECT g.as_of, NULL, 'all', g.status, g.months_late, {sums} "
            "FROM g GROUP BY g.as_of, g.status, g.months_late",
            list(days))
        return max(cur.rowcount, 0)


def write(days: list[date]) -> dict[str, int]:
    """Keep the figures of the closed month ends ``days`` (and rewrite the months late payments fell in)."""
    if not days:
        return {}
    before = SummaryDay.objects.aggregate(m=Max("payments_through"))["m"]
    top = Payment.objects.aggregate(m=Max("id"))["m"] or 0
    revenue_days = set(days)
    if before is not None:  # payments recorded since the last close, paid in a month closed before
        for paid_on in (Payment.objects.filter(pk__gt=before, paid_on__lt=Month.of(min(days)).first_day)
                        .values_list("paid_on", flat=True).distinct()):
            revenue_days.add(Month.of(paid_on).last_day)
    out = {"revenue_rows": write_revenue(sorted(revenue_days)), "debt_rows": write_debts(days)}
    SummaryDay.objects.filter(as_of__in=days).delete()
    SummaryDay.objects.bulk_create([SummaryDay(as_of=d, payments_through=top) for d in days])
    SummaryDay.objects.update(payments_through=top)
    return out


def close_step(closed: Any) -> dict[str, int]:
    """After a close (registered in ``ReportsConfig.ready``): the figures of each closed month end, and of the
    months closed before without them (a database closed before they were kept): a kept month end stands for
    every closed month before it."""
    days = {m.last_day for m in closed.months}
    kept = set(SummaryDay.objects.values_list("as_of", flat=True))
    days |= {m.last_day for m in ClosedMonth.objects.values_list("month", flat=True)} - kept
    return write(sorted(days))


def first_closed_day() -> date | None:
    """The first day of the first closed month. Before it nothing is owed: the first close starts at the
    earliest participation or payment, and what arrives later for earlier months is posted in the open month."""
    first = ClosedMonth.objects.order_by("month").values_list("month", flat=True).first()
    return first.first_day if first else None


def rebuild() -> dict[str, int]:
    """The figures of every closed month, participant counts included (for a database closed before they
    were kept, or to check them): what the closes would have written."""
    from sicollect.coverage.counts import write_counts

    days = [m.last_day for m in ClosedMonth.objects.order_by("month").values_list("month", flat=True)]
    SummaryDay.objects.all().delete()
    OfficeRevenue.objects.all().delete()
    out = write(days)
    out["count_rows"] = write_counts(days)
    out["months"] = len(days)
    return out


# --------------------------------------------------------------------------- reading


def kept_days(days: list[date]) -> set[date]:
    """Those of ``days`` whose figures the close kept. One query."""
    return set(SummaryDay.objects.filter(as_of__in=days).values_list("as_of", flat=True))


def last_kept() -> date | None:
    return SummaryDay.objects.aggregate(m=Max("as_of"))["m"]


def _office_filter(ids: list[int] | None) -> tuple[str, list[Any]]:
    if ids is None:
        return "", []
    if not ids:
        return " AND 1 = 0", []
    return f" AND office_id IN ({_in(ids)})", list(ids)


def received(ids: list[int] | None, ranges: list[tuple[date, date]]) -> list[int]:
    """Σ payments received by the offices' units in each (first day of a month, last day of a month) range, from
    the kept months. One query."""
    where, params = _office_filter(ids)
    sums = ", ".join("SUM(CASE WHEN as_of >= %s AND as_of <= %s THEN received ELSE 0 END)" for _ in ranges)
    with connection.cursor() as cur:
        cur.execute(f"SELECT {sums} FROM reports_officerevenue WHERE as_of >= %s AND as_of <= %s{where}",
                    [*(d for r in ranges for d in r), min(a for a, _ in ranges), max(b for _, b in ranges), *params])
        row = cur.fetchone()
    return [int(x or 0) for x in row] if row else [0] * len(ranges)


def received_by_month(ids: list[int] | None, first: date, last: date) -> dict[date, int]:
    """{month end: Σ received} of the kept months between ``first`` and ``last``. One query."""
    where, params = _office_filter(ids)
    with connection.cursor() as cur:
        cur.execute(f"SELECT as_of, SUM(received) FROM reports_officerevenue WHERE as_of >= %s AND as_of <= %s{where} "
                    "GROUP BY as_of", [first, last, *params])
        rows = cur.fetchall()
    return {_day(d): int(t or 0) for d, t in rows}


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _debt_filter(ids: list[int] | None) -> tuple[str, list[Any]]:
    """The kept debt rows of the offices ``ids`` (None: all): the ``all`` rows, a top office's ``tree`` rows,
    else the offices' own rows."""
    if ids is None:
        return " AND scope = 'all'", []
    root = subtree_root(ids) if len(ids) > 1 else None
    if root is not None:
        return " AND scope = 'tree' AND office_id = %s", [root]
    where, params = _office_filter(ids)
    return " AND scope = 'own'" + where, params


def debt_groups(ids: list[int] | None, days: list[date]) -> dict[date, list[DebtGroup]]:
    """The kept debts at those of ``days`` the close kept, grouped by status and months late. One query (two
    for a top office)."""
    if not days:
        return {}
    where, params = _debt_filter(ids)
    out: dict[date, list[DebtGroup]] = {d: [] for d in days}
    with connection.cursor() as cur:
        cur.execute("SELECT as_of, status, months_late, SUM(units), SUM(outstanding), SUM(late) FROM reports_officedebt "
                    f"WHERE as_of IN ({_in(days)}){where} GROUP BY as_of, status, months_late",
                    [*days, *params])
        for as_of, status, months, units, outstanding, late in cur.fetchall():
            out[_day(as_of)].append(DebtGroup(status, int(months), int(units), int(outstanding), int(late)))
    return out


def late_by_day(ids: list[int] | None, days: list[date]) -> dict[date, int]:
    """Σ late debt at each kept day of ``days``. One query (two for a top office)."""
    if not days:
        return {}
    where, params = _debt_filter(ids)
    with connection.cursor() as cur:
        cur.execute(f"SELECT as_of, SUM(late) FROM reports_officedebt WHERE as_of IN ({_in(days)}){where} "
                    "GROUP BY as_of", [*days, *params])
        return {_day(d): int(t or 0) for d, t in cur.fetchall()}


def by_office(as_of: date) -> tuple[dict[int, int], dict[int, int]]:
    """(late debt at ``as_of``, Σ received 1 Jan … ``as_of``) of each office's own units. Two queries."""
    late = dict(OfficeDebt.objects.filter(as_of=as_of, scope="own").values_list("office_id").annotate(t=_sum("late"))
                .values_list("office_id", "t"))
    got = dict(OfficeRevenue.objects.filter(as_of__gte=date(as_of.year, 1, 1), as_of__lte=as_of)
               .values_list("office_id").annotate(t=_sum("received")).values_list("office_id", "t"))
    return ({k: int(v or 0) for k, v in late.items()}, {k: int(v or 0) for k, v in got.items()})


def _sum(field: str) -> Any:
    from django.db.models import Sum

    return Sum(field)
