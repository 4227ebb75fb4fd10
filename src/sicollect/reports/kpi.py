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

At a closed month end the revenue, the debts and the participant counts come from the figures the close
kept (``reports.summary``, ``coverage.CoverageCount``): a closed month's figures are final (docs/domain.md,
"Figures of closed months"), and tests hold them equal to the computation from the rows.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db import connection
from django.db.models import Sum

from sicollect.arrears.models import Notice, WorkingGroup
from sicollect.close.aging import bucket_of, class_of, load_bands
from sicollect.close.debts import debts_at
from sicollect.contributions.debts import Scope, UnitDebt, unit_debts
from sicollect.contributions.models import Payment
from sicollect.core.money import pct
from sicollect.core.months import Month
from sicollect.coverage import counts as coverage_counts
from sicollect.plans.models import PlanTarget
from sicollect.registry.models import Office, Unit

from . import summary
from .summary import DebtGroup


@dataclass(frozen=True)
class KnownScope(Scope):
    """A :class:`Scope` whose office ids are already known: no query to find them again."""

    ids: tuple[int, ...] | None = None

    def office_ids(self) -> list[int] | None:
        return list(self.ids) if self.ids is not None else None


def known_scope(office: Office | None) -> KnownScope:
    ids = Scope(office).office_ids()
    return KnownScope(office, tuple(ids) if ids is not None else None)


def plans_of(scope: Scope, years: list[int]) -> dict[tuple[int, str], int]:
    """{(year, indicator): value} of the office's plan (for the whole province, of the offices without a
    parent), as :func:`plan_value` gives each, in one query."""
    qs = PlanTarget.objects.filter(year__in=years)
    qs = qs.filter(office=scope.office) if scope.office else qs.filter(office__parent__isnull=True)
    out: dict[tuple[int, str], int] = {}
    for year, indicator, value in qs.values_list("year", "indicator", "value"):
        out[(year, indicator)] = out.get((year, indicator), 0) + value
    return out


def _one_year_earlier(d: date) -> date:
    try:
        return d.replace(year=d.year - 1)
    except ValueError:  # 29 Feb
        return d.replace(year=d.year - 1, day=28)


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


def debt_figures(scope: Scope, as_of: date, debts: list[UnitDebt] | list[DebtGroup] | None = None,
                 plans: dict[tuple[int, str], int] | None = None, bands: Any = None) -> dict[str, Any]:
    """The ``debt`` section from the units' debts at ``as_of`` (read from the ledger unless given), one by one
    (:class:`UnitDebt`) or grouped by status and months late as the close kept them (:class:`DebtGroup`);
    ``plans`` (:func:`plans_of`) and ``bands`` (``close.aging.load_bands``) when the caller has them."""
    buckets, classes = bands or load_bands()
    if debts is None:
        debts = unit_debts(scope, as_of)
    groups = [d if isinstance(d, DebtGroup) else
              DebtGroup(d.status, d.months_late, 1 if d.late > 0 else 0, d.outstanding, d.late) for d in debts]
    plan = plans.get((as_of.year, "revenue")) if plans is not None else plan_value(scope, as_of.year, "revenue")
    total = sum(g.outstanding for g in groups)
    late = sum(g.late for g in groups)
    by_bucket = {b.code: {"units": 0, "amount": 0} for b in buckets}
    by_class = {c.code: {"units": 0, "amount": 0} for c in classes}
    for g in groups:
        if g.late <= 0:
            continue
        b = bucket_of(g.months_late, buckets)
        c = class_of(g.months_late, g.status, classes)
        for table, code in ((by_bucket, b), (by_class, c)):
            if code:
                table[code]["units"] += g.units
                table[code]["amount"] += g.late
    return {
        "outstanding_total": total,
        "outstanding_pct_of_plan": pct(total, plan),
        "interest_bearing": late,
        "interest_bearing_pct_of_plan": pct(late, plan),
        "units_late": sum(g.units for g in groups if g.late > 0),
        "units_late_2_months_or_more": sum(g.units for g in groups if g.late > 0 and g.months_late >= 2),
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


def kpi(as_of: date, office: Office | None = None, scope: Scope | None = None) -> dict[str, Any]:
    """The KPI report as a plain dict (the JSON shape); ``scope``: the office's, when the caller has it."""
    scope = scope or known_scope(office)
    year = as_of.year
    plans = plans_of(scope, [year - 1, year])
    bands = load_bands()
    jan1 = date(year, 1, 1)
    last_year_as_of = _one_year_earlier(as_of)
    prev_month_end = Month.of(as_of).first_day - timedelta(days=1)
    # this year to date, the same days a year earlier, this year to the previous month end (none in January)
    ranges = [(jan1, as_of), (date(year - 1, 1, 1), last_year_as_of), (jan1, prev_month_end)]
    kept = summary.kept_days([as_of, last_year_as_of])
    ids = scope.office_ids()
    if as_of in kept and last_year_as_of == Month.of(last_year_as_of).last_day:
        # a closed month end: the months the close kept (reports.summary), not every payment of two years
        ytd, last_year, prev = summary.received(ids, ranges)
    else:
        ytd, last_year, prev = collected_many(scope, ranges)
    revenue_plan = plans.get((year, "revenue"))

    debts: dict[date, Any] = summary.debt_groups(ids, sorted(kept))
    if kept:  # a day before the first closed month owes nothing (summary.first_closed_day)
        first = summary.first_closed_day()
        debts.update({d: [] for d in (last_year_as_of, as_of) if d not in debts and first and d < first})
    missing = [d for d in (last_year_as_of, as_of) if d not in debts]
    if missing:
        debts.update(debts_at(scope, missing))
    debt = debt_figures(scope, as_of, debts[as_of], plans, bands)
    earlier = debt_figures(scope, last_year_as_of, debts[last_year_as_of], plans, bands)
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
            parts = [plans.get((year, "si_compulsory")), plans.get((year, "si_voluntary"))]
            plan = sum(p for p in parts if p) if any(parts) else None
        else:
            plan = plans.get((year, plan_names[key]))
        participants[key] = {
            "count": counts[key], "plan": plan, "pct_of_plan": pct(counts[key], plan),
            "change_vs_previous_year_end": counts[key] - year_end[key],
        }
    population = plans.get((year, "population"))
    labour = plans.get((year, "labour_force"))
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
    """Grassroots offices ranked by interest-bearing debt ratio (lowest first) and by % of revenue plan.

    Four queries for the whole province (the debts at ``as_of``, the payments of the year by office, the
    offices, the plans; at a closed month end the close's figures by office, ``reports.summary``): each office counts its own units and those of the offices under it, as
    :func:`kpi` does for one office (a test holds the two equal office by office on the demo province).
    """
    offices = list(Office.objects.order_by("code"))
    parent = {o.pk: o.parent_id for o in offices}

    def ancestors(office_id: int | None) -> list[int]:
        out = []
        while office_id is not None:
            out.append(office_id)
            office_id = parent.get(office_id)
        return out

    late: dict[int, int] = {}
    received: dict[int, int] = {}
    if summary.kept_days([as_of]):  # a closed month end: the figures the close kept by office
        own_late, own_received = summary.by_office(as_of)
        for office_id, total in own_late.items():
            for oid in ancestors(office_id):
                late[oid] = late.get(oid, 0) + total
    else:
        unit_office = dict(Unit.objects.values_list("pk", "office_id"))
        for d in debts_at(Scope(None), [as_of])[as_of]:
            for oid in ancestors(unit_office.get(d.unit_id)):
                late[oid] = late.get(oid, 0) + d.late
        own_received = {office_id: int(total or 0) for office_id, total in (
            Payment.objects.filter(paid_on__gte=date(as_of.year, 1, 1), paid_on__lte=as_of)
            .values_list("unit__office_id").annotate(t=Sum("amount")).values_list("unit__office_id", "t"))}
    for office_id, total in own_received.items():
        for oid in ancestors(office_id):
            received[oid] = received.get(oid, 0) + total
    plans = dict(PlanTarget.objects.filter(year=as_of.year, indicator="revenue").values_list("office_id", "value"))
    rows = []
    for o in offices:
        if o.parent_id is None:
            continue
        plan = plans.get(o.pk)
        rows.append({
            "office": o.code, "name": o.name,
            "interest_bearing_pct_of_plan": pct(late.get(o.pk, 0), plan),
            "pct_of_plan": pct(received.get(o.pk, 0), plan),
        })
    by_debt = sorted(rows, key=lambda r: (r["interest_bearing_pct_of_plan"] is None, r["interest_bearing_pct_of_plan"] or 0))
    by_plan = sorted(rows, key=lambda r: -(r["pct_of_plan"] or 0))
    for i, r in enumerate(by_debt, 1):
        r["rank_debt"] = i
    for i, r in enumerate(by_plan, 1):
        r["rank_plan"] = i
    return sorted(rows, key=lambda r: r["rank_debt"])
