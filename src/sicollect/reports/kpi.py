"""The provincial KPI report: the figures of the articles, from sicollect's own rows.

Every figure is one SQL aggregate over the ledger, the payments, the
participations or the plan (no per-unit Python loop over the ledger), and each
names the rows it sums so it can be traced.

Definitions (RULES.md §7, §9):

* ``revenue.collected_ytd`` — all money received 1 Jan … as-of (payments, interest
  included). Plan: the office's ``revenue`` indicator for the year.
* ``debt.outstanding_total`` — principal not yet paid at the as-of date, including
  months whose deadline has not passed (ledger rows ``due``, ``adjustment`` and
  ``payment``/``principal`` posted on or before the as-of date).
* ``debt.interest_bearing`` — the part of it past its deadline. Within a unit,
  fund and contribution month payments go to the amounts late the longest first,
  so what is still owed sits on the newest amounts: the late part is the month's
  outstanding less what of it is not yet late, never below 0.
* Ratios are percentages of the year's ``revenue`` plan (the receivable assigned by
  Vietnam Social Security), rounded to two decimals.
* ``units_late`` — units with interest-bearing debt; ``units_late_2_months_or_more``
  — those whose oldest late amount is two whole months or more past its deadline.
* Participants are distinct persons whose declaration in force for the as-of month
  has a wage and the scheme's flag.
* ``enforcement`` — notices sent 1 Jan … as-of (and the units they went to), working
  groups in force in that time, at the province office and at grassroots offices.

The ledger must be posted through the as-of month (``sicollect post`` or the close).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db import connection

from sicollect.close.aging import bucket_of, class_of, load_bands, months_late
from sicollect.core.months import Month
from sicollect.coverage import counts as coverage_counts
from sicollect.plans.models import PlanTarget
from sicollect.registry.models import Office, Unit


def pct(numerator: int, denominator: int | None) -> float | None:
    """``numerator / denominator`` in percent, two decimals, half up; None without a plan."""
    if not denominator:
        return None
    hundredths = (numerator * 10_000 * 2 + denominator) // (2 * denominator)
    return hundredths / 100


def _one_year_earlier(d: date) -> date:
    try:
        return d.replace(year=d.year - 1)
    except ValueError:  # 29 Feb
        return d.replace(year=d.year - 1, day=28)


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


def collected_many(scope: Scope, ranges: list[tuple[date, date]]) -> list[int]:
    """Σ payments.amount received by units in scope in each of ``ranges`` (first, last day), in one pass
    over the payments of their span."""
    where, params = scope.unit_filter()
    # the whole province: every payment, no join to the units
    join = "JOIN registry_unit u ON u.id = p.unit_id" if params else ""
    sums = ", ".join("SUM(CASE WHEN p.paid_on >= %s AND p.paid_on <= %s THEN p.amount ELSE 0 END)" for _ in ranges)
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT {sums} FROM contributions_payment p {join} "
            f"WHERE p.paid_on >= %s AND p.paid_on <= %s AND {where}",
            [*(d.isoformat() for r in ranges for d in r), min(a for a, _ in ranges).isoformat(),
             max(b for _, b in ranges).isoformat(), *params])
        row = cur.fetchone()
    return [int(x or 0) for x in row] if row else [0] * len(ranges)


def plan_value(scope: Scope, year: int, indicator: str) -> int | None:
    """The plan of the office; for the whole province, of the offices without a parent."""
    qs = PlanTarget.objects.filter(year=year, indicator=indicator)
    qs = qs.filter(office=scope.office) if scope.office else qs.filter(office__parent__isnull=True)
    values = list(qs.values_list("value", flat=True))
    return sum(values) if values else None


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


def stored_debts(scope: Scope, days: list[date]) -> dict[date, list[UnitDebt]]:
    """The debts the close kept at closed month ends (close.MonthEndDebt), for those of ``days`` it kept.

    Units with late debt come one by one (their status is read now, as the ledger query does);
    the outstanding of the others comes as one line per office, ``unit_id`` 0. Two queries.
    """
    from sicollect.close.models import MonthEndDebt

    kept = set(MonthEndDebt.objects.filter(as_of__in=days).values_list("as_of", flat=True).distinct())
    if not kept:
        return {}
    qs = MonthEndDebt.objects.filter(as_of__in=kept)
    ids = scope.office_ids()
    if ids is not None:
        qs = qs.filter(office_id__in=ids)
    out: dict[date, list[UnitDebt]] = {day: [] for day in kept}
    for as_of, unit_id, status, outstanding, late, months in qs.values_list(
            "as_of", "unit_id", "unit__status", "outstanding", "late", "months_late"):
        out[as_of].append(UnitDebt(unit_id or 0, status or "", outstanding, late, months))
    return out


def debts_at(scope: Scope, days: list[date]) -> dict[date, list[UnitDebt]]:
    """Units' debts at each day: kept by the close at closed month ends, else from the ledger in one pass."""
    out = stored_debts(scope, days)
    missing = sorted({d for d in days if d not in out})
    if missing:
        out.update(unit_debts_many(scope, missing))
    return out


def debt_figures(scope: Scope, as_of: date, debts: list[UnitDebt] | None = None) -> dict[str, Any]:
    """The ``debt`` section from the units' debts at ``as_of`` (read from the ledger unless given)."""
    buckets, classes = load_bands()
    if debts is None:
        debts = unit_debts(scope, as_of)
    plan = plan_value(scope, as_of.year, "revenue")
    total = sum(d.outstanding for d in debts)
    late = sum(d.late for d in debts)
    by_bucket = {b.code: {"units": 0, "amount": 0} for b in buckets}
    by_class = {c.code: {"units": 0, "amount": 0} for c in classes}
    for d in debts:
        if d.late <= 0:
            continue
        b = bucket_of(d.months_late, buckets)
        c = class_of(d.months_late, d.status, classes)
        for table, code in ((by_bucket, b), (by_class, c)):
            if code:
                table[code]["units"] += 1
                table[code]["amount"] += d.late
    return {
        "outstanding_total": total,
        "outstanding_pct_of_plan": pct(total, plan),
        "interest_bearing": late,
        "interest_bearing_pct_of_plan": pct(late, plan),
        "units_late": sum(1 for d in debts if d.late > 0),
        "units_late_2_months_or_more": sum(1 for d in debts if d.late > 0 and d.months_late >= 2),
        "by_bucket": by_bucket,
        "by_class": by_class,
    }


def participant_counts(scope: Scope, as_of: date) -> dict[str, int]:
    """Persons covered in the as-of month, counted by the coverage app (``coverage.counts``): compulsory
    SI, UI, OADI through units; voluntary SI from the enrolments; HI through units or on a household
    list, each person once; ``si_total`` compulsory or voluntary, each person once."""
    return coverage_counts.participant_counts(scope.office_ids(), as_of)


def enforcement_figures(scope: Scope, first: date, last: date) -> dict[str, int]:
    """Notices sent to late units ``first`` … ``last`` and the working groups in force then (the arrears
    app's rows; ``sicollect arrears numbers`` gives the rest: visits, commitments, disclosures). Two
    queries; a working group counts for the scope of the office that formed it."""
    from django.db.models import Count, Q

    from sicollect.arrears.models import Notice, WorkingGroup

    ids = scope.office_ids()
    notices = Notice.objects.filter(issued_on__gte=first, issued_on__lte=last)
    groups = WorkingGroup.objects.filter(formed_on__lte=last).exclude(dissolved_on__lt=first)
    if ids is not None:
        notices = notices.filter(unit__office_id__in=ids)
        groups = groups.filter(office_id__in=ids)
    n = notices.aggregate(sent=Count("id"), units=Count("unit_id", distinct=True))
    g = groups.aggregate(total=Count("id"), province=Count("id", filter=Q(office__parent__isnull=True)))
    return {"notices_sent": n["sent"], "units_noticed": n["units"], "working_groups": g["total"],
            "working_groups_province": g["province"], "working_groups_grassroots": g["total"] - g["province"]}


def kpi(as_of: date, office: Office | None = None) -> dict[str, Any]:
    """The KPI report as a plain dict (the JSON shape)."""
    scope = Scope(office)
    year = as_of.year
    jan1 = date(year, 1, 1)
    last_year_as_of = _one_year_earlier(as_of)
    prev_month_end = Month.of(as_of).first_day - timedelta(days=1)
    # this year to date, the same days a year earlier, this year to the previous month end (none in January)
    ytd, last_year, prev = collected_many(scope, [(jan1, as_of), (date(year - 1, 1, 1), last_year_as_of),
                                                  (jan1, prev_month_end)])
    revenue_plan = plan_value(scope, year, "revenue")

    debts = debts_at(scope, [last_year_as_of, as_of])
    debt = debt_figures(scope, as_of, debts[as_of])
    earlier = debt_figures(scope, last_year_as_of, debts[last_year_as_of])
    debt["one_year_earlier"] = {
        k: earlier[k] for k in ("outstanding_total", "outstanding_pct_of_plan", "interest_bearing",
                                "interest_bearing_pct_of_plan")
    }

    counts = participant_counts(scope, as_of)
    year_end = participant_counts(scope, date(year - 1, 12, 31))
    plan_names = {"si_compulsory": "si_compulsory", "si_voluntary": "si_voluntary", "ui": "ui", "hi": "hi"}
    participants: dict[str, Any] = {}
    for key in ("si_compulsory", "si_voluntary", "si_total", "ui", "hi"):
        if key == "si_total":
            parts = [plan_value(scope, year, "si_compulsory"), plan_value(scope, year, "si_voluntary")]
            plan = sum(p for p in parts if p) if any(parts) else None
        else:
            plan = plan_value(scope, year, plan_names[key])
        participants[key] = {
            "count": counts[key], "plan": plan, "pct_of_plan": pct(counts[key], plan),
            "change_vs_previous_year_end": counts[key] - year_end[key],
        }
    population = plan_value(scope, year, "population")
    labour = plan_value(scope, year, "labour_force")
    return {
        "as_of": as_of.isoformat(),
        "office": office.code if office else None,
        "revenue": {
            "collected_ytd": ytd,
            "plan": revenue_plan,
            "pct_of_plan": pct(ytd, revenue_plan),
            "same_period_last_year": last_year,
            "change_vs_last_year": ytd - last_year,
            "change_vs_previous_month": ytd - prev,
        },
        "debt": debt,
        "participants": participants,
        "coverage": {
            "hi_pct_population": pct(counts["hi"], population),
            "si_pct_labour_force": pct(counts["si_total"], labour),
        },
        "enforcement": enforcement_figures(scope, jan1, as_of),
    }


def ranking(as_of: date) -> list[dict[str, Any]]:
    """Grassroots offices ranked by interest-bearing debt ratio (lowest first) and by % of revenue plan."""
    # One pass over the ledger and the payments for the province; each office takes its units' rows.
    offices = list(Office.objects.filter(parent__isnull=False).order_by("code"))
    scopes = {o.pk: Scope(o) for o in offices}
    office_of_unit: dict[int, list[int]] = {}
    for o in offices:
        for unit_id in Unit.objects.filter(office_id__in=scopes[o.pk].office_ids()).values_list("pk", flat=True):
            office_of_unit.setdefault(unit_id, []).append(o.pk)
    debts_of: dict[int, list[UnitDebt]] = {o.pk: [] for o in offices}
    for debt in debts_at(Scope(None), [as_of])[as_of]:
        if debt.late <= 0:  # the ranking needs the late part only (kept unit by unit at month ends)
            continue
        for office_id in office_of_unit.get(debt.unit_id, []):
            debts_of[office_id].append(debt)
    paid: dict[int, int] = {o.pk: 0 for o in offices}
    with connection.cursor() as cur:
        cur.execute("SELECT unit_id, SUM(amount) FROM contributions_payment WHERE paid_on >= %s AND paid_on <= %s "
                    "GROUP BY unit_id", [date(as_of.year, 1, 1).isoformat(), as_of.isoformat()])
        for unit_id, amount in cur.fetchall():
            for office_id in office_of_unit.get(unit_id, []):
                paid[office_id] += int(amount)
    rows = []
    for office in offices:
        scope = scopes[office.pk]
        plan = plan_value(scope, as_of.year, "revenue")
        debt = debt_figures(scope, as_of, debts_of[office.pk])
        rows.append({
            "office": office.code, "name": office.name,
            "interest_bearing_pct_of_plan": debt["interest_bearing_pct_of_plan"],
            "pct_of_plan": pct(paid[office.pk], plan),
        })
    by_debt = sorted(rows, key=lambda r: (r["interest_bearing_pct_of_plan"] is None, r["interest_bearing_pct_of_plan"] or 0))
    by_plan = sorted(rows, key=lambda r: -(r["pct_of_plan"] or 0))
    for i, r in enumerate(by_debt, 1):
        r["rank_debt"] = i
    for i, r in enumerate(by_plan, 1):
        r["rank_plan"] = i
    return sorted(rows, key=lambda r: r["rank_debt"])
