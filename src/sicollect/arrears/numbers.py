"""The enforcement figures the provincial reports give (the articles in ../shared/context):
notices sent, units urged (debts of 2 months or more), working groups (province /
grassroots) and their visits, commitments, disclosures, open cases by step.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from django.db import connection
from django.db.models import Count

from . import commitments, groups
from .ladder import cases_by_step
from .models import Case, CaseStep, Disclosure, Notice, StepStatus


def enforcement_numbers(first: date, last: date, office_ids: Any = None) -> dict[str, Any]:
    """The figures of ``first`` … ``last`` for the province, or for the units of the offices
    ``office_ids`` (a grassroots office and those under it)."""
    def scoped(qs: Any, prefix: str) -> Any:
        return qs if office_ids is None else qs.filter(**{f"{prefix}office_id__in": list(office_ids)})

    notices = scoped(Notice.objects.filter(issued_on__gte=first, issued_on__lte=last), "unit__")
    by_step = {r["case_step__step__code"]: r["n"]
               for r in notices.values("case_step__step__code").annotate(n=Count("id")).order_by()}
    urged = scoped(CaseStep.objects.filter(step__code="URGING", status=StepStatus.CONFIRMED,
                                           confirmed_on__gte=first, confirmed_on__lte=last), "case__unit__")
    return {
        "from": first.isoformat(), "to": last.isoformat(),
        "notices_sent": notices.count(),
        "units_noticed": notices.values("unit_id").distinct().count(),
        "notices_by_step": by_step,
        "units_urged": urged.values("case__unit_id").distinct().count(),
        **groups.summary(first, last, office_ids),
        "commitments": commitments.summary(first, last, office_ids),
        "disclosed_units": scoped(Disclosure.objects.filter(published_on__gte=first, published_on__lte=last),
                                  "unit__").values("unit_id").distinct().count(),
        "open_cases_by_step": cases_by_step(scoped(Case.objects.all(), "unit__")),
        "recovered_after_step": recovered_after_step(first, last, office_ids),
    }


RECOVERED_SQL = """
SELECT t.code, SUM(t.amount), COUNT(DISTINCT t.unit_id) FROM (
  SELECT l.code, p.amount, p.unit_id,
         ROW_NUMBER() OVER (PARTITION BY p.id ORDER BY s.confirmed_on DESC, l."order" DESC) AS rn
  FROM contributions_payment p
  JOIN arrears_case c ON c.unit_id = p.unit_id AND c.opened_on <= p.paid_on
                     AND (c.closed_on IS NULL OR p.paid_on <= c.closed_on)
  JOIN arrears_casestep s ON s.case_id = c.id AND s.status = 'confirmed' AND s.confirmed_on < p.paid_on
  JOIN arrears_ladderstep l ON l.id = s.step_id
  WHERE p.paid_on >= %s AND p.paid_on <= %s{scope}
) t WHERE t.rn = 1
GROUP BY t.code
"""


def recovered_after_step(first: date, last: date, office_ids: Any = None) -> dict[str, dict[str, int]]:
    """Money received ``first`` … ``last`` from units with an open case, each payment credited to the
    last step confirmed before it (so no payment counts twice)."""
    params: list[Any] = [first.isoformat(), last.isoformat()]
    scope = ""
    if office_ids is not None:
        ids = sorted(office_ids) or [-1]
        scope = (" AND p.unit_id IN (SELECT u.id FROM registry_unit u WHERE u.office_id IN "
                 f"({', '.join(['%s'] * len(ids))}))")
        params += ids
    with connection.cursor() as cur:
        cur.execute(RECOVERED_SQL.format(scope=scope), params)
        return {code: {"amount": int(total), "units": int(units)} for code, total, units in cur.fetchall()}
