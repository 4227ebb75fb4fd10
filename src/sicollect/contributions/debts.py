"""The debt read-model: what a unit owes at a date, read from the ledger beside it.

* :class:`Scope` — the offices whose units count (one office and those under it, or all);
* :func:`unit_debts` / :func:`unit_debts_many` — per unit with any debt at a date: the outstanding
  principal (``due``, ``adjustment`` and principal payments posted on or before the date), its
  interest-bearing part (past its deadline; within a unit, fund and contribution month payments go to the
  amounts late the longest first, so what is still owed sits on the newest amounts) and the age of the
  oldest late amount in whole months (:func:`months_late`);
* :data:`DEBT_SQL` — the one query behind them, also used by the arrears sync.

The KPI report (``reports.kpi``), the close (its aging), the arrears cases, the plans' actuals and the
forecast all read debts here; ``close.debts.debts_at`` adds the debts the close kept at closed month ends.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db import connection

from sicollect.core.months import Month
from sicollect.registry.models import Office


def months_late(deadline: date, as_of: date) -> int:
    """Whole months from ``deadline`` to ``as_of`` (0 when not yet a month).

    A month is complete when the same day of a later month is reached; month ends
    count as the same day: 31 Aug → 30 Sep is one month.
    """
    if as_of <= deadline:
        return 0
    months = (as_of.year - deadline.year) * 12 + as_of.month - deadline.month
    if as_of.day < deadline.day and not _is_month_end(as_of):
        months -= 1
    return max(months, 0)


def _is_month_end(d: date) -> bool:
    return d == Month.of(d).last_day



@dataclass(frozen=True)
class Scope:
    """The offices whose units count: one office and the offices under it, or all."""

    office: Office | None

    def office_ids(self) -> list[int] | None:
        if self.office is None:
            return None
        ids = [self.office.pk]
        frontier = ids
        while frontier:
            frontier = list(Office.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
            ids += frontier
        return ids

    def unit_filter(self, alias: str = "u") -> tuple[str, list[Any]]:
        ids = self.office_ids()
        if ids is None:
            return "1 = 1", []
        return f"{alias}.office_id IN ({', '.join(['%s'] * len(ids))})", list(ids)


DEBT_SQL = """
WITH by_month AS (
  SELECT e.unit_id, e.fund, e.month,
         SUM(e.amount) AS outstanding,
         SUM(CASE WHEN e.kind IN ('due', 'adjustment') AND e.late_from > %s THEN e.amount ELSE 0 END) AS not_late,
         MIN(CASE WHEN e.kind IN ('due', 'adjustment') THEN e.late_from END) AS late_from
  FROM contributions_ledgerentry e JOIN registry_unit u ON u.id = e.unit_id
  WHERE e.posted_on <= %s AND {where}
    AND (e.kind IN ('due', 'adjustment') OR (e.kind = 'payment' AND e.target = 'principal'))
  GROUP BY e.unit_id, e.fund, e.month
), late AS (
  SELECT unit_id, outstanding, late_from,
         CASE WHEN outstanding - not_late <= 0 THEN 0
              WHEN outstanding - not_late > outstanding THEN outstanding
              ELSE outstanding - not_late END AS late_amount
  FROM by_month
)
SELECT l.unit_id, u.status, SUM(l.outstanding), SUM(l.late_amount),
       MIN(CASE WHEN l.late_amount > 0 THEN l.late_from END)
FROM late l JOIN registry_unit u ON u.id = l.unit_id
GROUP BY l.unit_id, u.status
"""


@dataclass
class UnitDebt:
    unit_id: int
    status: str
    outstanding: int
    late: int
    months_late: int


def unit_debts(scope: Scope, as_of: date) -> list[UnitDebt]:
    """Per unit with any debt: outstanding principal, its late part, and the age of its oldest late amount."""
    where, params = scope.unit_filter()
    x = as_of.isoformat()
    with connection.cursor() as cur:
        cur.execute(DEBT_SQL.format(where=where), [x, x, *params])
        rows = cur.fetchall()
    return [unit_debt(unit_id, status, outstanding, late, oldest, as_of)
            for unit_id, status, outstanding, late, oldest in rows if outstanding or late]


def _late(o: str, n: str) -> str:
    return f"CASE WHEN {o} - {n} <= 0 THEN 0 WHEN {o} - {n} > {o} THEN {o} ELSE {o} - {n} END"


def unit_debts_many(scope: Scope, days: list[date], batch: int = 12) -> dict[date, list[UnitDebt]]:
    """:func:`unit_debts` at several dates, reading the ledger once per ``batch`` dates.

    The same figures as calling ``unit_debts`` for each day (a test checks it): for every day the
    aggregates of DEBT_SQL are conditional sums in one pass over the ledger rather than one pass each.
    The close uses it to age every unit at every month end it closes.
    """
    where, params = scope.unit_filter()
    out: dict[date, list[UnitDebt]] = {}
    for start in range(0, len(days), batch):
        chunk = days[start:start + batch]
        cols, outer, args = [], [], []
        for i, day in enumerate(chunk):
            x = day.isoformat()
            cols.append(f"SUM(CASE WHEN e.posted_on <= %s THEN e.amount ELSE 0 END) AS o{i}")
            cols.append(f"SUM(CASE WHEN e.posted_on <= %s AND e.kind IN ('due', 'adjustment') AND e.late_from > %s "
                        f"THEN e.amount ELSE 0 END) AS n{i}")
            cols.append(f"MIN(CASE WHEN e.posted_on <= %s AND e.kind IN ('due', 'adjustment') THEN e.late_from END) AS f{i}")
            args += [x, x, x, x]
            late = _late(f"g.o{i}", f"g.n{i}")
            outer.append(f"SUM(g.o{i}), SUM({late}), MIN(CASE WHEN {late} > 0 THEN g.f{i} END)")
        sql = f"""
SELECT g.unit_id, u.status, {', '.join(outer)}
FROM (
  SELECT e.unit_id, e.fund, e.month, {', '.join(cols)}
  FROM contributions_ledgerentry e JOIN registry_unit u ON u.id = e.unit_id
  WHERE e.posted_on <= %s AND {where}
    AND (e.kind IN ('due', 'adjustment') OR (e.kind = 'payment' AND e.target = 'principal'))
  GROUP BY e.unit_id, e.fund, e.month
) g JOIN registry_unit u ON u.id = g.unit_id
GROUP BY g.unit_id, u.status"""
        with connection.cursor() as cur:
            cur.execute(sql, [*args, max(chunk).isoformat(), *params])
            rows = cur.fetchall()
        for i, day in enumerate(chunk):
            found = []
            for row in rows:
                outstanding, late, oldest = row[2 + 3 * i: 5 + 3 * i]
                if not outstanding and not late:
                    continue
                found.append(unit_debt(row[0], row[1], outstanding, late, oldest, day))
            out[day] = found
    return out


def unit_debt(unit_id: int, status: str, outstanding: Any, late: Any, oldest: Any, as_of: date) -> UnitDebt:
    age = 0
    if late and oldest:
        deadline = (oldest if isinstance(oldest, date) else date.fromisoformat(str(oldest))) - timedelta(days=1)
        age = months_late(deadline, as_of)
    return UnitDebt(unit_id, status, int(outstanding or 0), int(late or 0), age)
