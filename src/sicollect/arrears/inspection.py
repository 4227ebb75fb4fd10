"""Inspection selection: a risk score per late unit, ranked for the Inspectorate, its parts shown.

Points (at most 100), each from SQL aggregates (the ledger's debt aggregate, taken
now and three months earlier, and the declarations in force now and six months
earlier; no per-unit query):

======================  ====  ==========================================================
part                    max   how
======================  ====  ==========================================================
``months``              35    whole months of the oldest late amount, capped at 12
``amount``              25    late amount ÷ the working-group threshold (ladder row), ≤ 1
``trend``               15    growth of the late amount over three months, (now − then) ÷ now
``floor``               15    share of the employees declared at or below the regional minimum
``headcount``           10    drop of the headcount over six months, (then − now) ÷ then
======================  ====  ==========================================================

Worked example (tests/arrears/test_inspection.py): two employees at the region I
floor (4,960,000) in HI only from Jan 2025, nothing paid: on 31 Oct 2025 January
is 9 months late (26.25 points), 8 months × 446,400 = 3,571,200 are late
(0.18 of 25 against 500,000,000), three months earlier 2,678,400 were (growth
25 %: 3.75), everyone at the floor (15), no drop in headcount (0): 45.18.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import connection

from sicollect.core.money import round_half_up
from sicollect.core.months import Month
from sicollect.registry.models import Unit
from sicollect.rules.book import RuleMissing, load_rulebook

from .cases import debts

WEIGHTS = {"months": 35, "amount": 25, "trend": 15, "floor": 15, "headcount": 10}
DEFAULT_AMOUNT_REF = 500_000_000

HEADCOUNT_SQL = """
SELECT t.unit_id, COUNT(DISTINCT t.person_id),
       COUNT(DISTINCT CASE WHEN t.wage <= CASE t.region WHEN 1 THEN %s WHEN 2 THEN %s WHEN 3 THEN %s ELSE %s END
                           THEN t.person_id END)
FROM (
  SELECT p.person_id, p.unit_id, p.wage, u.region,
         ROW_NUMBER() OVER (PARTITION BY p.person_id, p.unit_id
                            ORDER BY CASE WHEN p.declared_on IS NULL THEN 0 ELSE 1 END DESC,
                                     p.declared_on DESC, p.from_month DESC, p.id DESC) AS rn
  FROM registry_participation p JOIN registry_unit u ON u.id = p.unit_id
  WHERE p.from_month <= %s AND (p.to_month IS NULL OR p.to_month >= %s)
    AND (p.declared_on IS NULL OR p.declared_on <= %s)
) t
WHERE t.rn = 1 AND t.wage > 0
GROUP BY t.unit_id
"""


def headcounts(month: Month, as_of: date) -> dict[int, tuple[int, int]]:
    """Per unit: employees with a wage in ``month`` and how many of them at or below the regional floor."""
    book = load_rulebook()
    floors = []
    for region in (1, 2, 3, 4):
        try:
            floors.append(book.floor(region, month))
        except RuleMissing:
            floors.append(0)
    m = month.first_day.isoformat()
    with connection.cursor() as cur:
        cur.execute(HEADCOUNT_SQL, [*floors, m, m, as_of.isoformat()])
        return {u: (int(n), int(at_floor)) for u, n, at_floor in cur.fetchall()}


@dataclass
class Risk:
    unit: str
    name: str
    score: float
    parts: dict[str, float]
    figures: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _hundredths(numerator: int, denominator: int) -> float:
    """``numerator / denominator`` to two decimals, half up (integers, no float rounding surprises)."""
    return round_half_up(numerator * 100, denominator) / 100


def amount_reference() -> int:
    from .models import LadderStep

    step = LadderStep.objects.filter(code="WORKING_GROUP").first()
    return step.min_amount if step and step.min_amount else DEFAULT_AMOUNT_REF


def ranking(as_of: date, limit: int | None = None) -> list[Risk]:
    """Units with late debt on ``as_of``, highest risk first (ties by unit code)."""
    month = Month.of(as_of)
    then_day = (month - 3).last_day  # type: ignore[union-attr]
    now = {k: d for k, d in debts(as_of).items() if d.late > 0}
    if not now:
        return []
    then = debts(then_day)
    heads = headcounts(month, as_of)
    heads_then = headcounts(month - 6, (month - 6).last_day)  # type: ignore[arg-type,union-attr]
    ref = amount_reference()
    codes = dict(Unit.objects.filter(pk__in=list(now)).values_list("pk", "code"))
    names = dict(Unit.objects.filter(pk__in=list(now)).values_list("pk", "name"))
    out = []
    for unit_id, d in now.items():
        months = d.months_late(as_of)
        before = then[unit_id].late if unit_id in then else 0
        n, at_floor = heads.get(unit_id, (0, 0))
        n_then = heads_then.get(unit_id, (0, 0))[0]
        # each share as a fraction (numerator, denominator), clamped to [0, 1]
        share = {
            "months": (min(months, 12), 12),
            "amount": (min(d.late, ref), ref),
            "trend": (max(d.late - before, 0), d.late),
            "floor": (at_floor, n or 1),
            "headcount": (max(n_then - n, 0), n_then or 1),
        }
        parts = {k: _hundredths(WEIGHTS[k] * num, den) for k, (num, den) in share.items()}
        out.append(Risk(codes[unit_id], names[unit_id], round_half_up(round(sum(parts.values()) * 100), 1) / 100, parts, {
            "months_late": months, "late_amount": d.late, "late_3_months_earlier": before,
            "headcount": n, "at_floor": at_floor, "headcount_6_months_earlier": n_then,
        }))
    out.sort(key=lambda r: (-r.score, r.unit))
    return out[:limit] if limit else out
